/**
 * The send queue's messages: what the API (functions/domain/send-email.ts) hands the sender
 * (functions/domain/deliver-email.ts). Kept apart from accepting emails so the sender's bundle does not
 * carry the template engine and the rest of the accepting code.
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { sqs } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { queueByName } from '../../lib/queues.js';
import { EmailPayload } from '../repositories/mail-store.js';

const sendQueue = queueByName('send');

/**
 * What the sender worker receives: the ids, and the content itself when it is small enough to travel in the
 * message (an S3 put and get cost more than the rest of the send together); otherwise it is read back from S3.
 */
export const SendJob = z.object({ email_id: z.string().min(1), team_id: z.string().min(1), payload: EmailPayload.optional() });
export type SendJob = z.infer<typeof SendJob>;

/** Content up to this size (as JSON) rides in the send job: SQS takes 256 KiB per message, and the job has ids and the hop delay to carry too. */
export const INLINE_PAYLOAD_MAX_BYTES = 192 * 1024;

/** SQS delays top out at 15 minutes: later sends hop through the queue until they are due. */
export function sendDelaySeconds(scheduledAt: string, now = Date.now()): number {
  return Math.max(0, Math.min(900, Math.ceil((Date.parse(scheduledAt) - now) / 1000)));
}

/** Queues the jobs; returns the email ids SQS did not take (after the SDK's own retries). */
export async function enqueueSendJobs(jobs: { job: SendJob; delaySeconds: number }[]): Promise<string[]> {
  const failed: string[] = [];
  for (let i = 0; i < jobs.length; i += 10) {
    const chunk = jobs.slice(i, i + 10);
    try {
      const result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: config.queueUrl(sendQueue.urlEnvVar),
          Entries: chunk.map((j, n) => ({ Id: String(n), MessageBody: JSON.stringify(j.job), DelaySeconds: j.delaySeconds })),
        }),
      );
      for (const entry of result.Failed ?? []) failed.push(chunk[Number(entry.Id)]!.job.email_id);
    } catch (error) {
      logger.error('send queue unavailable', { error: error as Error });
      failed.push(...chunk.map((j) => j.job.email_id));
    }
  }
  return failed;
}
