/**
 * Test files run side by side in several vitest workers against one set of emulators. Each worker has a stack
 * of its own there (queues, SES event topic, configuration sets, media bucket; test/setup/global-setup.ts),
 * so the queue consumers of one worker never take work another worker's tests are waiting for.
 */
import { inject } from 'vitest';
import type { ProvisionedQueue } from '../../local/provision.js';

export interface WorkerStack {
  /** The functions' environment for this stack (local/runtime.ts functionEnvironment). */
  functionEnv: Record<string, string>;
  queues: ProvisionedQueue[];
}

/** This worker's stack: vitest numbers the workers it runs at once 1…maxWorkers (VITEST_POOL_ID). */
export function workerStack(): WorkerStack {
  const stacks = inject('workerStacks');
  const slot = Number(process.env.VITEST_POOL_ID ?? '1');
  const stack = stacks[slot - 1];
  if (!stack) throw new Error(`No stack provisioned for vitest worker ${slot} (${stacks.length} provisioned: is maxWorkers larger than global setup saw?)`);
  return stack;
}
