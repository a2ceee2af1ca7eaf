/**
 * Starts the emulators once for the whole run (in memory, on free ports), creates the table and queues
 * from the deployed definitions, and hands the function environment to every test worker.
 */
import type { TestProject } from 'vitest/node';
import { randomBytes } from 'node:crypto';
import { generateRootToken } from '../../functions/shared/auth/api-key-token.js';
import { functionEnvironment, provision, startEmulators, type Emulators } from '../../local/runtime.js';
import type { ProvisionedQueue } from '../../local/provision.js';

declare module 'vitest' {
  export interface ProvidedContext {
    functionEnv: Record<string, string>;
    queues: ProvisionedQueue[];
  }
}

const TABLE_NAME = 'mailroom-test';
let emulators: Emulators | undefined;

export async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  emulators = await startEmulators({ ports: { dynamodb: 0, sqsS3: 0, ses: 0 } });
  const { queues } = await provision(emulators.endpoints, { tableName: TABLE_NAME, queuePrefix: 'mailroom-test' });
  const env = functionEnvironment({
    endpoints: emulators.endpoints,
    tableName: TABLE_NAME,
    queues,
    pepper: randomBytes(32).toString('base64url'),
    rootKey: generateRootToken(),
  });
  // Every test worker may consume any queue's messages, so settings the workers read are set for all of them:
  // webhook retries on a seconds scale (8 attempts in about 10 s instead of about a day).
  env.WEBHOOK_RETRY_SCHEDULE_SECONDS = '1,2,3,1,1,1,1';
  // and a force-deleted bucket's slug reserved for 2 s after emptying instead of an hour.
  env.STORAGE_UPLOAD_URL_SECONDS = '2';
  // and a send rate that lets a 2,000-contact broadcast go out in seconds (the sender and the fan-out pace to it).
  env.SES_SEND_RATE_PER_SECOND = '400';
  project.provide('functionEnv', env);
  project.provide('queues', queues);
}

export async function teardown() {
  await emulators?.stop();
}
