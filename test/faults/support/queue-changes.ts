/**
 * lib/queues.ts with some numbers changed, for vi.mock in a fault test: the mechanisms stay real, only their
 * timings shrink so that a queue gives up in seconds rather than in an hour.
 */
import type { QueueDefinition, QueueName } from '../../../lib/queues.js';

type QueuesModule = typeof import('../../../lib/queues.js');

export async function queuesWith(importOriginal: () => Promise<QueuesModule>, changes: Partial<Record<QueueName, Partial<QueueDefinition>>>): Promise<QueuesModule> {
  const actual = await importOriginal();
  const QUEUES = actual.QUEUES.map((queue) => ({ ...queue, ...changes[queue.name] })) as unknown as QueuesModule['QUEUES'];
  return { ...actual, QUEUES, queueByName: (name: QueueName) => (QUEUES as readonly QueueDefinition[]).find((q) => q.name === name)! };
}
