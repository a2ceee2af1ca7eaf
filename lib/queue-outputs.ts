/**
 * The stack output that carries each queue's DLQ URL (set in lib/constructs/work-queue.ts), so operator tools
 * such as `npm run redrive` (scripts/redrive.ts) find a deployed stack's DLQs without knowing generated names.
 */
export function deadLetterQueueOutputKey(queueName: string): string {
  const pascal = queueName.replace(/(^|-)([a-z0-9])/g, (_match, _dash, letter: string) => letter.toUpperCase());
  return `${pascal}DeadLetterQueueUrl`;
}
