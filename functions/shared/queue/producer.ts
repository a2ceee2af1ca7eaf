/** Sends JSON messages to one of our queues, ten per SendMessageBatch; throws if any entry was refused. */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqs } from '../clients.js';
import { config } from '../config.js';
import { queueByName, type QueueName } from '../../../lib/queues.js';

const SQS_BATCH = 10;

export async function sendToQueue(queueName: QueueName, bodies: readonly unknown[], options: { delaySeconds?: number } = {}): Promise<void> {
  const queue = queueByName(queueName);
  for (let i = 0; i < bodies.length; i += SQS_BATCH) {
    const chunk = bodies.slice(i, i + SQS_BATCH);
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: config.queueUrl(queue.urlEnvVar),
        Entries: chunk.map((body, index) => ({ Id: String(index), MessageBody: JSON.stringify(body), DelaySeconds: options.delaySeconds })),
      }),
    );
    if (Failed.length) throw new Error(`${queueName}: ${Failed.length} message(s) not accepted: ${Failed[0]!.Message ?? Failed[0]!.Code}`);
  }
}
