/**
 * The one way to write a queue consumer: Powertools' batch processor reports partial batch failures, so
 * only failed records are redelivered; a failed record's visibility is extended exponentially by attempt
 * (SQS alone would redeliver it after a fixed visibility timeout), or by the delay a RetryLater asks for,
 * until the redrive policy moves it to the DLQ.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from 'zod';
import { sqs } from '../clients.js';
import { config } from '../config.js';
import { logger } from '../logger.js';
import { RetryLater } from './retry-later.js';
import { backoffSeconds, queueByName, type QueueName } from '../../../lib/queues.js';

export function queueConsumer<S extends z.ZodType>(
  queueName: QueueName,
  schema: S,
  handleMessage: (message: z.output<S>, record: SQSRecord) => Promise<void>,
) {
  const queue = queueByName(queueName);
  const processor = new BatchProcessor(EventType.SQS);

  const processRecord = async (record: SQSRecord) => {
    try {
      const message = schema.parse(JSON.parse(record.body));
      await handleMessage(message, record);
    } catch (error) {
      const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
      const delay = error instanceof RetryLater && error.delaySeconds !== undefined ? error.delaySeconds : backoffSeconds(queue, attempt);
      logger.warn('queue record failed', { queue: queue.name, message_id: record.messageId, attempt, retry_in_s: delay, error: error as Error });
      await sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: config.queueUrl(queue.urlEnvVar), ReceiptHandle: record.receiptHandle, VisibilityTimeout: delay }))
        .catch((visibilityError) => logger.warn('backoff not applied', { error: visibilityError as Error }));
      throw error;
    }
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    // A batch where every record failed is reported like any other partial failure, not thrown.
    return processPartialResponse(event, processRecord, processor, { context, throwOnFullBatchFailure: false });
  };
}
