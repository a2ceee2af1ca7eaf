/**
 * `npm run bench` (fourth part): what one webhook delivery costs — publishing a platform event, the fan-out
 * worker turning it into a delivery, and the delivery worker POSTing it to a local receiver — measured
 * in-process against the local emulators, plus what every event costs a team that has no webhooks.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { LOCAL_AWS } from '../local/aws-env.js';
import { lambdaContext, loadHandler } from '../local/lambda.js';
import { toSqsRecord } from '../local/queue-poller.js';
import { queueByName } from '../lib/queues.js';
import { newId } from '../functions/shared/ids.js';
import { startReceiver } from '../test/support/webhook-receiver.js';
import { createBenchTeam, invokeRoute, percentile, PRICE, dynamoCallCost, recordAwsCalls, startBenchStack, type AwsCall } from './bench-support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200);
const WARM_UP = 10;
const BATCH = 10;

/** Every queue consumer is deployed with 512 MB (lib/constructs/work-queue.ts). */
const WORKER_MEMORY_GB = 512 / 1024;

const receiver = await startReceiver();
const stack = await startBenchStack('mailroom-bench-webhooks');
try {
  // startBenchStack's environment (local/runtime.ts functionEnvironment) allows plain HTTP to localhost; the receiver needs both.
  if (process.env.WEBHOOK_ALLOW_HTTP !== 'true' || process.env.WEBHOOK_ALLOW_PRIVATE_NETWORKS !== 'true') throw new Error('local webhook destinations are not allowed');
  const calls = await recordAwsCalls();
  // Imported after the stack is up: the functions' SDK clients read their endpoints when first loaded.
  const { platformEvent, publishEvents } = await import('../functions/domain/webhook-events.js');
  const sqs = new SQSClient({ endpoint: stack.emulators.endpoints.sqsS3, ...LOCAL_AWS, useQueueUrlAsEndpoint: false });
  const queueOf = (name: string) => stack.queues.find((q) => q.definition.name === name)!;
  const fanoutQueue = queueOf('webhook-fanout');
  const deliveryQueue = queueOf('webhook-delivery');
  type Consumer = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;
  const fanoutWorker = (await loadHandler<SQSEvent, SQSBatchResponse>(queueByName('webhook-fanout').consumer)) as Consumer;
  const deliveryWorker = (await loadHandler<SQSEvent, SQSBatchResponse>(queueByName('webhook-delivery').consumer)) as Consumer;

  const teamWithKey = async () => {
    const key = await createBenchTeam(stack.rootKey);
    const me = JSON.parse((await invokeRoute('me.get', { key })).body!);
    return { key, id: me.team.id as string };
  };
  const listening = await teamWithKey();
  const silent = await teamWithKey();
  const created = await invokeRoute('webhooks.create', { key: listening.key, body: { url: `${receiver.url}/bench`, description: 'bench' } });
  if (created.statusCode !== 201) throw new Error(`webhooks.create: ${created.statusCode} ${created.body}`);

  /** What a producer (the SES events worker) publishes for one delivered email: one event, one publishEvents call. */
  const publish = async (teamId: string, count: number) => {
    const runs: AwsCall[][] = [];
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const emailId = newId('email');
      const recipient = `customer-${i}@example.com`;
      const event = platformEvent({
        team_id: teamId,
        type: 'email.delivered',
        timestamp: new Date().toISOString(),
        seed: `${emailId}\ndelivery\n${recipient}`,
        data: {
          email_id: emailId,
          recipient,
          from: 'Shop <orders@mailroom.test>',
          to: [recipient],
          subject: `Receipt ${i}`,
          tags: { kind: 'receipt', order: String(10_000 + i) },
          created_at: new Date().toISOString(),
        },
      });
      calls.length = 0;
      const started = performance.now();
      await publishEvents([event]);
      times.push(performance.now() - started);
      runs.push([...calls]);
    }
    return { runs, times, sizes: times.map(() => 1) };
  };

  /** What Lambda's event source mapping does before invoking the consumer: receive, in batches of at most 10. */
  const receive = async (url: string, want: number): Promise<Message[]> => {
    const messages: Message[] = [];
    for (let empty = 0; messages.length < want && empty < 5; ) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: BATCH, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }));
      messages.push(...Messages);
      empty = Messages.length ? 0 : empty + 1;
    }
    if (messages.length !== want) throw new Error(`expected ${want} messages on ${url}, got ${messages.length}`);
    return messages;
  };

  /** Drains `count` messages through the worker in full batches of 10, timing each invocation and recording its calls. */
  const drain = async (worker: Consumer, queue: typeof fanoutQueue, count: number) => {
    const messages = await receive(queue.url, count);
    const runs: AwsCall[][] = [];
    const times: number[] = [];
    for (let i = 0; i < messages.length; i += BATCH) {
      const batch = messages.slice(i, i + BATCH);
      calls.length = 0;
      const started = performance.now();
      const result = await worker({ Records: batch.map((m) => toSqsRecord(m, queue, LOCAL_AWS.region)) }, lambdaContext('bench', 30));
      times.push(performance.now() - started);
      runs.push([...calls]);
      if (result.batchItemFailures.length) throw new Error(`${queue.definition.name}: ${result.batchItemFailures.length} records failed`);
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: batch.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })) }));
    }
    return { runs, times, sizes: runs.map((_, b) => Math.min(BATCH, messages.length - b * BATCH)) };
  };

  // Warm-up: module loading, the pepper-derived key, the emulators' first writes; nothing of it is counted.
  await publish(listening.id, WARM_UP);
  await drain(fanoutWorker, fanoutQueue, WARM_UP);
  await drain(deliveryWorker, deliveryQueue, WARM_UP);

  const published = await publish(listening.id, EVENTS);
  const fannedOut = await drain(fanoutWorker, fanoutQueue, EVENTS);
  const delivered = await drain(deliveryWorker, deliveryQueue, EVENTS);
  const received = receiver.at('/bench');
  if (received.length !== EVENTS + WARM_UP) throw new Error(`receiver got ${received.length} requests, expected ${EVENTS + WARM_UP}`);
  if (new Set(received.map((r) => r.headers['webhook-id'])).size !== received.length) throw new Error('an event was delivered twice');

  await publish(silent.id, EVENTS);
  const unheard = await drain(fanoutWorker, fanoutQueue, EVENTS);
  // Nobody listens, so nothing may have been queued for delivery.
  const { Messages: stray = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deliveryQueue.url, MaxNumberOfMessages: BATCH, WaitTimeSeconds: 1 }));
  if (stray.length) throw new Error(`${stray.length} deliveries queued for a team without webhooks`);

  const perEvent = (runs: AwsCall[][], events: number) => {
    const counts = new Map<string, number>();
    for (const run of runs) for (const c of run) counts.set(`${c.service} ${c.command}`, (counts.get(`${c.service} ${c.command}`) ?? 0) + 1);
    return new Map([...counts].map(([k, n]) => [k, n / events]));
  };
  const phases = [
    { name: 'publish (1 event per call)', ...published },
    { name: 'fan-out, team with 1 webhook', ...fannedOut },
    { name: 'delivery (signed POST to localhost, 200)', ...delivered },
    { name: 'fan-out, team without webhooks', ...unheard },
  ].map((phase) => ({ ...phase, counts: perEvent(phase.runs, EVENTS) }));
  const rows = phases.map(({ name, counts, times, sizes }) => {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const list = [...counts].map(([k, n]) => `${k}×${n.toFixed(2)}`).join(', ');
    // An invocation's records run concurrently, so per event is the batch's time shared, not one record's latency.
    const shared = times.map((t, i) => t / sizes[i]!);
    const ms = [percentile(times, 50), percentile(times, 95), percentile(shared, 50), percentile(shared, 95)];
    return `| ${name} | ${total.toFixed(2)} | ${list} | ${ms.map((t, i) => t.toFixed(i < 2 ? 1 : 2)).join(' | ')} |`;
  });

  /** USD per event by service, from the calls a phase made per event. */
  type Ledger = Record<'DynamoDB' | 'SQS' | 'Lambda', number>;
  const charge = (ledger: Ledger, counts: Map<string, number>) => {
    for (const [name, count] of counts) {
      const [service, command] = name.split(' ') as [string, string];
      if (service === 'DynamoDB') ledger.DynamoDB += count * dynamoCallCost(command);
      else if (service === 'SQS') ledger.SQS += count * PRICE.sqsRequest;
      else throw new Error(`no price for ${name}`);
    }
  };
  // Per event on AWS, beyond the functions' own calls: each queue's event source mapping receives and deletes
  // once per batch of 10 and invokes the consumer once per batch, whose local p50 time the 10 events share.
  const queueHop = (ledger: Ledger, batchTimes: number[]) => {
    ledger.SQS += (2 * PRICE.sqsRequest) / BATCH;
    ledger.Lambda += (PRICE.lambdaRequest + (percentile(batchTimes, 50) / 1000) * WORKER_MEMORY_GB * PRICE.lambdaGbSecondArm) / BATCH;
  };
  const [publishing, fanout, delivery, fanoutAlone] = phases;
  const perDelivery: Ledger = { DynamoDB: 0, SQS: 0, Lambda: 0 };
  for (const phase of [publishing, fanout, delivery]) charge(perDelivery, phase.counts);
  queueHop(perDelivery, fanout.times);
  queueHop(perDelivery, delivery.times);
  const perUnheardEvent: Ledger = { DynamoDB: 0, SQS: 0, Lambda: 0 };
  for (const phase of [publishing, fanoutAlone]) charge(perUnheardEvent, phase.counts);
  queueHop(perUnheardEvent, fanoutAlone.times);
  const perThousand = (ledger: Ledger) => {
    const parts = Object.entries(ledger).map(([service, usd]) => `${service} $${(usd * 1000).toFixed(4)}`);
    return `$${(Object.values(ledger).reduce((a, b) => a + b, 0) * 1000).toFixed(4)} (${parts.join(', ')})`;
  };
  process.stdout.write(
    [
      `Webhooks, ${EVENTS} email.delivered events (after ${WARM_UP} warm-up): published one by one, fanned out and delivered in batches of ${BATCH}; the receiver got ${received.length} requests, none failed:`,
      '',
      '| phase | AWS calls / event | calls breakdown / event | handler p50 ms / batch | p95 ms / batch | p50 ms / event | p95 ms / event |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `Cost per 1,000 webhook deliveries (publish + fan-out + delivery, one webhook): ${perThousand(perDelivery)}; SQS includes the event source mappings' receive + delete, Lambda is 2 invocations per ${BATCH} events at local p50 times with ${WORKER_MEMORY_GB * 1024} MB.`,
      `Cost per 1,000 events of a team without webhooks (publish + fan-out): ${perThousand(perUnheardEvent)}.`,
      '',
    ].join('\n'),
  );
  sqs.destroy();
} finally {
  await stack.stop();
  await receiver.close();
}
