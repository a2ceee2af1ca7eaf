/**
 * Starts the emulators once for the whole run (in memory, on free ports), creates the table, then one stack per
 * vitest worker (its own queues, SES event topic, configuration sets and media bucket: test/support/worker-stack.ts),
 * and hands each worker the function environment of its stack.
 */
import type { TestProject } from 'vitest/node';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { generateRootToken } from '../../functions/shared/auth/api-key-token.js';
import { functionEnvironment, provision, startEmulators, type Emulators } from '../../local/runtime.js';
import type { WorkerStack } from '../support/worker-stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Index: the worker's VITEST_POOL_ID - 1. */
    workerStacks: WorkerStack[];
  }
}

const TABLE_NAME = 'mailroom-test';
let emulators: Emulators | undefined;

export async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // DynamoDB Local lives for one run: compiling its hot paths with C2 (and G1's concurrent threads) cost more CPU
  // than they save, and the workers need those cores. The java launcher reads this variable.
  process.env.JDK_JAVA_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
  emulators = await startEmulators({ ports: { dynamodb: 0, sqsS3: 0, ses: 0 } });
  const endpoints = emulators.endpoints;
  // All stacks share the table and the root key: teams are apart by their ids, not by the stack that made them.
  const secrets = { pepper: randomBytes(32).toString('base64url'), rootKey: generateRootToken() };
  const workers = project.config.maxWorkers || project.vitest.config.maxWorkers || availableParallelism();
  const stacks: WorkerStack[] = [];
  for (let slot = 1; slot <= workers; slot++) {
    const queuePrefix = `mailroom-test-w${slot}`;
    const { queues } = await provision(endpoints, { tableName: TABLE_NAME, queuePrefix });
    const env = functionEnvironment({ endpoints, tableName: TABLE_NAME, queuePrefix, queues, ...secrets });
    // Settings some test files rely on, whichever worker runs them:
    // webhook retries on a seconds scale (8 attempts in about 10 s instead of about a day),
    env.WEBHOOK_RETRY_SCHEDULE_SECONDS = '1,2,3,1,1,1,1';
    // a force-deleted bucket's slug reserved for 2 s after emptying instead of an hour,
    env.STORAGE_UPLOAD_URL_SECONDS = '2';
    // a send rate that lets a 2,000-contact broadcast go out in seconds (the sender and the fan-out pace to it),
    env.SES_SEND_RATE_PER_SECOND = '400';
    // and every API answer held to the OpenAPI document (local/response-check.ts).
    env.MAILROOM_CHECK_RESPONSES = 'true';
    stacks.push({ functionEnv: env, queues });
  }
  project.provide('workerStacks', stacks);
}

export async function teardown() {
  await emulators?.stop();
}
