/**
 * The event source mapping emulation (local/queue-poller.ts) and the consumer wrapper
 * (functions/shared/queue/consumer.ts) against the real SQS emulator: redrive to the DLQ after
 * maxReceiveCount, partial batch failures, whole-batch failure rules, and exponential backoff.
 * Each test uses its own queues with a 1 s visibility timeout, and the tests run concurrently.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { provisionQueue, type ProvisionedQueue } from '../../local/provision.js';
import { startQueuePollers, type QueuePollers } from '../../local/queue-poller.js';
import { localClients } from '../../local/runtime.js';
import { LOCAL_AWS } from '../../local/aws-env.js';
import type { QueueDefinition } from '../../lib/queues.js';
import { endpoints } from '../support/local-stack.js';
import { eventually, sleep } from '../support/http.js';

// The real team-purge queue backs off from 10 s; shorten only the numbers so the test measures the mechanism
// in seconds: attempt 1 → 2 s, attempt 2 → 4 s. Everything else in lib/queues.ts stays real.
vi.mock('../../lib/queues.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../lib/queues.js')>();
  const QUEUES = actual.QUEUES.map((q) => (q.name === 'team-purge' ? { ...q, backoff: { baseSeconds: 2, maxSeconds: 8 } } : q));
  return { ...actual, QUEUES, queueByName: (name: string) => QUEUES.find((q) => q.name === name)! };
});

const { sqs } = localClients(endpoints());
const pollers: QueuePollers[] = [];
const errors: unknown[] = [];

afterAll(async () => {
  await Promise.all(pollers.map((p) => p.stop()));
  sqs.destroy();
});

/** A definition whose visibility timeout (6 × consumer timeout) is exactly 1 s. */
function definition(overrides: Partial<QueueDefinition> = {}): QueueDefinition {
  return {
    name: 'test',
    consumer: 'inline',
    urlEnvVar: 'UNUSED_QUEUE_URL',
    consumerTimeoutSeconds: 1 / 6,
    batchSize: 10,
    maxReceiveCount: 2,
    retentionDays: 1,
    backoff: { baseSeconds: 1, maxSeconds: 1 },
    ...overrides,
  };
}

async function newQueue(label: string, overrides: Partial<QueueDefinition> = {}): Promise<ProvisionedQueue> {
  return provisionQueue(sqs, `qtest-${label}-${randomUUID().slice(0, 8)}`, definition(overrides));
}

function poll(queue: ProvisionedQueue, consumer: (event: SQSEvent) => Promise<SQSBatchResponse | void>) {
  const p = startQueuePollers(
    sqs,
    [{ name: queue.definition.name, url: queue.url, arn: queue.arn, batchSize: queue.definition.batchSize, timeoutSeconds: 1, consumer }],
    { region: LOCAL_AWS.region, onError: (e) => errors.push(e) },
  );
  pollers.push(p);
  return p;
}

async function depth(url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Object.values(Attributes ?? {}).reduce((sum, v) => sum + Number(v), 0);
}

async function receiveAll(url: string, waitSeconds: number) {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds, MessageSystemAttributeNames: ['All'] }),
  );
  return Messages ?? [];
}

async function sendBatch(url: string, bodies: string[]) {
  const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody })) }));
  expect(result.Failed ?? []).toEqual([]);
}

describe.concurrent('event source mapping emulation', () => {
  it('provisions the queue with its visibility timeout and a redrive policy to its DLQ', async () => {
    const queue = await newQueue('attrs', { maxReceiveCount: 3 });
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }));
    const dlq = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.dlqUrl, AttributeNames: ['QueueArn'] }));
    expect(Attributes!.VisibilityTimeout).toBe('1');
    expect(Attributes!.MessageRetentionPeriod).toBe(String(86400));
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlq.Attributes!.QueueArn, maxReceiveCount: 3 });
    expect(queue.arn).toBe(Attributes!.QueueArn);
  });

  it('delivers a message whose consumer always throws exactly maxReceiveCount times, then moves it to the DLQ', async () => {
    const queue = await newQueue('dlq', { maxReceiveCount: 2 });
    const deliveries: SQSRecord[] = [];
    const body = JSON.stringify({ poison: randomUUID() });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    poll(queue, async (event) => {
      deliveries.push(...event.Records);
      throw new Error('consumer always fails');
    });

    const dead = await eventually(async () => (await receiveAll(queue.dlqUrl, 1))[0], 8000);
    expect(dead.Body).toBe(body);
    // Give a wrongly kept message the chance to come back: it must not.
    await sleep(2500);
    expect(deliveries).toHaveLength(2);
    expect(deliveries.map((r) => r.body)).toEqual([body, body]);
    expect(deliveries.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(deliveries[0]!.eventSourceARN).toBe(queue.arn);
    expect(deliveries[0]!.eventSource).toBe('aws:sqs');
    expect(await depth(queue.url)).toBe(0);
  });

  it('redelivers only the records reported in batchItemFailures and deletes the rest', async () => {
    const queue = await newQueue('partial', { maxReceiveCount: 3 });
    const bodies = ['keep-1', 'fail-me', 'keep-2'];
    await sendBatch(queue.url, bodies);
    const invocations: string[][] = [];
    const seen = new Map<string, number>();
    poll(queue, async (event) => {
      invocations.push(event.Records.map((r) => r.body));
      for (const r of event.Records) seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
      const failing = event.Records.filter((r) => r.body === 'fail-me' && r.attributes.ApproximateReceiveCount === '1');
      return { batchItemFailures: failing.map((r) => ({ itemIdentifier: r.messageId })) };
    });

    await eventually(async () => (seen.get('fail-me') ?? 0) >= 2, 6000);
    await eventually(async () => (await depth(queue.url)) === 0, 3000);
    await sleep(2500);
    expect(invocations[0]!.sort()).toEqual([...bodies].sort());
    expect(Object.fromEntries(seen)).toEqual({ 'keep-1': 1, 'fail-me': 2, 'keep-2': 1 });
    expect(invocations.slice(1)).toEqual([['fail-me']]);
    expect(await receiveAll(queue.dlqUrl, 0)).toEqual([]);
  });

  it('fails the whole batch when a reported itemIdentifier is not in the batch', async () => {
    const queue = await newQueue('unknown-id', { maxReceiveCount: 3 });
    const bodies = ['u-1', 'u-2', 'u-3'];
    await sendBatch(queue.url, bodies);
    const seen = new Map<string, number>();
    let first: string[] | undefined;
    poll(queue, async (event) => {
      first ??= event.Records.map((r) => r.body);
      for (const r of event.Records) seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
      const isFirstDelivery = event.Records.some((r) => r.attributes.ApproximateReceiveCount === '1');
      return isFirstDelivery ? { batchItemFailures: [{ itemIdentifier: 'not-a-message-in-this-batch' }] } : undefined;
    });

    await eventually(async () => bodies.every((b) => (seen.get(b) ?? 0) >= 2), 6000);
    await eventually(async () => (await depth(queue.url)) === 0, 3000);
    await sleep(2000);
    expect(first!.sort()).toEqual([...bodies].sort());
    expect(Object.fromEntries(seen)).toEqual({ 'u-1': 2, 'u-2': 2, 'u-3': 2 });
  });
});

describe('queueConsumer (functions/shared/queue/consumer.ts)', () => {
  let queue: ProvisionedQueue;
  const previousUrl = process.env.TEAM_PURGE_QUEUE_URL;

  beforeAll(async () => {
    queue = await newQueue('backoff', { maxReceiveCount: 5 });
    // The wrapper changes visibility on the queue named by team-purge's env var: point it at this test's queue.
    process.env.TEAM_PURGE_QUEUE_URL = queue.url;
  });
  afterAll(() => {
    process.env.TEAM_PURGE_QUEUE_URL = previousUrl;
  });

  it('backs a failed record off exponentially (2 s, then 4 s) instead of the 1 s visibility timeout, and deletes the good ones', async () => {
    const { queueConsumer } = await import('../../functions/shared/queue/consumer.js');
    const receivedAt = new Map<string, { at: number; count: string }[]>();
    const handler = queueConsumer('team-purge', z.object({ id: z.string(), fail: z.boolean() }), async (message, record) => {
      const list = receivedAt.get(message.id) ?? [];
      list.push({ at: Date.now(), count: record.attributes.ApproximateReceiveCount });
      receivedAt.set(message.id, list);
      if (message.fail && list.length < 3) throw new Error(`attempt ${list.length} fails`);
    });
    await sendBatch(queue.url, [JSON.stringify({ id: 'good', fail: false }), JSON.stringify({ id: 'flaky', fail: true }), '{"not": "valid"}']);
    const lambdaFailures: SQSBatchResponse[] = [];
    poll(queue, async (event) => {
      const result = await handler(event, {} as never);
      lambdaFailures.push(result);
      return result;
    });

    await eventually(async () => (receivedAt.get('flaky')?.length ?? 0) >= 3, 12_000);
    await eventually(async () => (await depth(queue.url)) <= 1, 3000);

    expect(receivedAt.get('good')).toHaveLength(1);
    const flaky = receivedAt.get('flaky')!;
    expect(flaky.map((r) => r.count)).toEqual(['1', '2', '3']);
    const gap1 = flaky[1]!.at - flaky[0]!.at;
    const gap2 = flaky[2]!.at - flaky[1]!.at;
    // Without the backoff the record would be back after the queue's 1 s visibility timeout.
    expect(gap1).toBeGreaterThanOrEqual(1900);
    expect(gap1).toBeLessThan(3800);
    expect(gap2).toBeGreaterThanOrEqual(3900);
    expect(gap2).toBeLessThan(6000);
    // The first batch reported exactly the two failed records (flaky and the invalid one), not the good one.
    expect(lambdaFailures[0]!.batchItemFailures).toHaveLength(2);
    // The invalid message is never deleted: it keeps failing (with backoff) towards the DLQ.
    expect(await depth(queue.url)).toBe(1);
  }, 20_000);
});
