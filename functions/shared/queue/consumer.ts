/**
 * The one way to write a queue consumer: Powertools' batch processor reports partial batch failures, so
 * only failed records are redelivered; a failed record's visibility is extended exponentially by attempt
 * (SQS alone would redeliver it after a fixed visibility timeout), or by the delay a RetryLater asks for,
 * until the redrive policy moves it to the DLQ. A record that fails its last allowed delivery is counted as a
 * DlqMove. Each batch has a BatchScope (batch-scope.ts): what its records collected is written once they are
 * done, before the partial-failure response; then the batch's metrics are published.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from 'zod';
import { sqs } from '../clients.js';
import { config } from '../config.js';
import { logger } from '../logger.js';
import { countMetricBy, publishMetrics } from '../metrics.js';
import { RetryLater } from './retry-later.js';
import { backoffSeconds, queueByName, type QueueName } from '../../../lib/queues.js';
import { inBatch, openBatch, type BatchScope } from './batch-scope.js';

export type { BatchScope } from './batch-scope.js';

export function queueConsumer<S extends z.ZodType>(
  queueName: QueueName,
  schema: S,
  handleMessage: (message: z.output<S>, record: SQSRecord, batch: BatchScope) => Promise<void>,
) {
  const queue = queueByName(queueName);
  const processor = new BatchProcessor(EventType.SQS);

  const processRecord = async (record: SQSRecord, batch: BatchScope) => {
    try {
      const message = schema.parse(JSON.parse(record.body));
      await handleMessage(message, record, batch);
    } catch (error) {
      const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
      const delay = error instanceof RetryLater && error.delaySeconds !== undefined ? error.delaySeconds : backoffSeconds(queue, attempt);
      // SQS moves a record to the DLQ at its next receive once it has been received maxReceiveCount times.
      if (attempt >= queue.maxReceiveCount) {
        logger.error('queue record failed its last attempt: moving to the DLQ', { queue: queue.name, message_id: record.messageId, attempt, error: error as Error });
        countMetricBy('DlqMoves', 'queue', queue.name);
      } else {
        logger.warn('queue record failed', { queue: queue.name, message_id: record.messageId, attempt, retry_in_s: delay, error: error as Error });
      }
      await sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: config.queueUrl(queue.urlEnvVar), ReceiptHandle: record.receiptHandle, VisibilityTimeout: delay }))
        .catch((visibilityError) => logger.warn('backoff not applied', { error: visibilityError as Error }));
      throw error;
    }
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    // A batch where every record failed is reported like any other partial failure, not thrown.
    const batch = openBatch();
    try {
      return await inBatch(batch, async () => {
        try {
          return await processPartialResponse(event, (record: SQSRecord) => processRecord(record, batch), processor, { context, throwOnFullBatchFailure: false });
        } finally {
          // Also what failed records collected: it was claimed, and a redelivery would not collect it again.
          await batch.flush();
        }
      });
    } finally {
      publishMetrics();
    }
  };
}
