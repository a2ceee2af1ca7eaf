import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';

interface EmfDocument {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [member: string]: unknown;
}

let written: string[];

/** The modules as a deployed function loads them: metrics enabled (the test environment disables them, as npm run dev does). */
async function load() {
  vi.resetModules();
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const metrics = await import('../../functions/shared/metrics.js');
  const consumer = await import('../../functions/shared/queue/consumer.js');
  return { ...metrics, ...consumer };
}

function emfDocuments(): EmfDocument[] {
  return written
    .join('')
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);
}

const context = { functionName: 'test', awsRequestId: 'req-1' } as Context;

function sqsEvent(receiveCount: number): SQSEvent {
  return {
    Records: [
      {
        messageId: 'm-1',
        receiptHandle: 'not-a-real-handle',
        body: JSON.stringify({ list_id: 'x' }),
        attributes: { ApproximateReceiveCount: String(receiveCount) } as SQSEvent['Records'][number]['attributes'],
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:list-sweep',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

beforeEach(() => {
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('metrics (EMF)', () => {
  it('publishes what an invocation counted as one EMF document in the Mailroom namespace, without dimensions', async () => {
    const { countMetric, publishMetrics } = await load();
    countMetric('EmailsAccepted', 3);
    countMetric('EmailsSent');
    publishMetrics();
    const [document, ...others] = emfDocuments();
    expect(others).toEqual([]);
    expect(document!._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Mailroom',
        // One empty dimension set: the series the alarms read (no `service` dimension).
        Dimensions: [[]],
        Metrics: [
          { Name: 'EmailsAccepted', Unit: 'Count' },
          { Name: 'EmailsSent', Unit: 'Count' },
        ],
      },
    ]);
    expect(document).toMatchObject({ EmailsAccepted: 3, EmailsSent: 1 });
    expect(document).not.toHaveProperty('service');
  });

  it('writes nothing for an invocation that counted nothing, and starts afresh after publishing', async () => {
    const { countMetric, publishMetrics } = await load();
    publishMetrics();
    expect(emfDocuments()).toEqual([]);
    countMetric('Bounces');
    publishMetrics();
    publishMetrics();
    expect(emfDocuments()).toHaveLength(1);
  });

  it('counts a metric by one dimension in a document of its own, with the undimensioned total', async () => {
    const { countMetric, countMetricBy, publishMetrics } = await load();
    countMetric('Deliveries');
    countMetricBy('DlqMoves', 'queue', 'send');
    const [single] = emfDocuments();
    expect(single!._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Mailroom', Dimensions: [[], ['queue']], Metrics: [{ Name: 'DlqMoves', Unit: 'Count' }] });
    expect(single).toMatchObject({ DlqMoves: 1, queue: 'send' });
    expect(single).not.toHaveProperty('Deliveries');
    publishMetrics();
    const [, invocation] = emfDocuments();
    expect(invocation!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([[]]);
    expect(invocation).toMatchObject({ Deliveries: 1 });
    expect(invocation).not.toHaveProperty('queue');
  });

  it('stays off stdout offline (POWERTOOLS_METRICS_DISABLED, set by the local runtime)', async () => {
    vi.resetModules();
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const { countMetric, countMetricBy, publishMetrics } = await import('../../functions/shared/metrics.js');
    countMetric('EmailsSent');
    countMetricBy('DlqMoves', 'queue', 'send');
    publishMetrics();
    expect(emfDocuments()).toEqual([]);
  });
});

describe('queue consumer metrics', () => {
  const ListSweep = z.object({ list_id: z.string() });

  it('publishes a batch’s metrics once, when the batch ends', async () => {
    const { countMetric, queueConsumer } = await load();
    const handler = queueConsumer('list-sweep', ListSweep, async () => {
      countMetric('InboundMessages');
      expect(emfDocuments()).toEqual([]);
    });
    const response = await handler({ Records: [...sqsEvent(1).Records, { ...sqsEvent(1).Records[0]!, messageId: 'm-2' }] }, context);
    expect(response.batchItemFailures).toEqual([]);
    const documents = emfDocuments();
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ InboundMessages: [1, 1] });
  });

  it('counts a DlqMove, by queue, when a record fails its last allowed delivery (and not before)', async () => {
    const { queueConsumer } = await load();
    const handler = queueConsumer('list-sweep', ListSweep, async () => {
      throw new Error('always fails');
    });
    // list-sweep moves a message to its DLQ after 5 deliveries.
    await handler(sqsEvent(4), context);
    expect(emfDocuments()).toEqual([]);
    const response = await handler(sqsEvent(5), context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    const [document, ...others] = emfDocuments();
    expect(others).toEqual([]);
    expect(document!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([[], ['queue']]);
    expect(document).toMatchObject({ DlqMoves: 1, queue: 'list-sweep' });
  });
});
