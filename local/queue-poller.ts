/**
 * Emulates Lambda's SQS event source mapping: long-polls each queue, invokes the consumer with a real
 * SQS-shaped event, deletes the records it did not report in `batchItemFailures`, and leaves failed ones
 * to reappear after their visibility timeout, so the queue's redrive policy moves them to the DLQ.
 * As on AWS, a thrown error or an unknown itemIdentifier fails the whole batch.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { lambdaContext, loadHandler, type LambdaHandler } from './lambda.js';

export interface PolledQueue {
  name: string;
  url: string;
  arn: string;
  batchSize: number;
  timeoutSeconds: number;
  /** The consumer: a module path under functions/ or a handler function (tests). */
  consumer: string | LambdaHandler<SQSEvent, SQSBatchResponse | void>;
}

export interface QueuePollers {
  stop(): Promise<void>;
}

/** One received SQS message as the Lambda event source mapping hands it to the consumer. */
export function toSqsRecord(message: Message, queue: Pick<PolledQueue, 'arn'>, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          stringValue: value.StringValue,
          binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
          stringListValues: value.StringListValues ?? [],
          binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? createHash('md5').update(message.Body ?? '').digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/** Which receipt handles to delete after an invocation, following Lambda's ReportBatchItemFailures rules. */
export function succeededRecords(records: SQSRecord[], outcome: { error: unknown } | { result: SQSBatchResponse | void }): SQSRecord[] {
  if ('error' in outcome) return [];
  const failures = outcome.result?.batchItemFailures ?? [];
  const ids = new Set(records.map((r) => r.messageId));
  if (failures.some((f) => !f.itemIdentifier || !ids.has(f.itemIdentifier))) return [];
  const failed = new Set(failures.map((f) => f.itemIdentifier));
  return records.filter((r) => !failed.has(r.messageId));
}

export function startQueuePollers(sqs: SQSClient, queues: PolledQueue[], options: { region: string; onError?: (error: unknown) => void }): QueuePollers {
  let running = true;
  const controllers: AbortController[] = [];

  const poll = async (queue: PolledQueue) => {
    // Loaded at the first message, as Lambda starts a container at the first invocation: a process that never
    // gets work on a queue (most test files use a few) never pays for importing its consumer.
    const consumer = queue.consumer;
    const loadConsumer = typeof consumer === 'string' ? () => loadHandler<SQSEvent, SQSBatchResponse | void>(consumer) : async () => consumer;
    while (running) {
      const abort = new AbortController();
      controllers.push(abort);
      try {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: queue.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        if (!Messages?.length) continue;
        const records = Messages.map((m) => toSqsRecord(m, queue, options.region));
        const context = lambdaContext(`mailroom-${queue.name}`, queue.timeoutSeconds);
        const outcome = await loadConsumer()
          .then((handler) => handler({ Records: records }, context))
          .then(
            (result) => ({ result }),
            (error) => ({ error }),
          );
        if ('error' in outcome) options.onError?.(outcome.error);
        const done = succeededRecords(records, outcome);
        if (done.length) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queue.url,
              Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
            }),
          );
        }
      } catch (error) {
        if (!running) break;
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      } finally {
        controllers.splice(controllers.indexOf(abort), 1);
      }
    }
  };

  const loops = queues.map((queue) => poll(queue));
  return {
    stop: async () => {
      running = false;
      for (const controller of controllers) controller.abort();
      await Promise.allSettled(loops);
    },
  };
}
