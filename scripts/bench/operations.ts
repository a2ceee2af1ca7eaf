/**
 * The core operations, each driven through routes, queues and handlers (never domain internals, so the harness
 * keeps measuring whatever the pipeline becomes), warmed up first, then measured: every invocation's time and
 * AWS calls, and what that costs per unit (an email, a message, an event, a request, a step).
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type * as z from 'zod';
import type { Campaign } from '../../functions/schemas/campaigns.js';
import type { InboxCreated } from '../../functions/schemas/inboxes.js';
import type { TeamCreated } from '../../functions/schemas/teams.js';
import type { Template } from '../../functions/schemas/templates.js';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { LOCAL_MAIL } from '../../local/runtime.js';
import { receiptEvent } from '../../local/smtp-server.js';
import { INBOUND_OBJECT_PREFIX } from '../../lib/constructs/ses-receiving.js';
import { QUEUES, type QueueName } from '../../lib/queues.js';
import { UNTRACKED_EVENT_TYPES } from '../../lib/ses-event-types.js';
import { startReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.js';
import { roundTrips, waitingMs } from './aws-calls.js';
import { NO_EXTERNAL_USAGE, operationCost, stateTransitions, type ExternalUsage } from './cost.js';
import { functionName } from './functions.js';
import { COST_LINES, percentile, type OperationResult, type PerUnit, type StageResult } from './result.js';
import { deleteMessages, Pipeline, receiveMessages, type BenchStack, type Invocation } from './stack.js';

interface Iteration {
  units: number;
  external?: Partial<ExternalUsage>;
}

interface Operation {
  name: string;
  unit: string;
  warmUp: number;
  iterations: number;
  /** The operation whose results (contacts, enrolments) this one works on: --only runs it too. */
  buildsOn?: string;
  /** `i` counts measured iterations from 0; warm-up iterations are negative. */
  run(pipeline: Pipeline, i: number): Promise<Iteration>;
}

/**
 * SES events of a delivered email, sent without open/click tracking (the default): SES emits Send and Delivery,
 * and publishes those the untracked configuration set subscribes to.
 */
const SES_EVENTS_PER_DELIVERED_EMAIL = (['SEND', 'DELIVERY'] as const).filter((type) => UNTRACKED_EVENT_TYPES.includes(type)).length;
const BATCH_EMAILS = 100;
/** Emails per `send` iteration: one full batch of the send queue, so its consumers run in full batches (steady traffic). */
const SEND_BATCH = QUEUES.find((q) => q.name === 'send')!.batchSize;
/**
 * Untimed `send` iterations first (DynamoDB Local itself is warmed up before any operation): the functions' code
 * compiled by V8, their containers' caches (the key's principal, the from domain's checks) filled.
 */
const SEND_WARM_UP_EMAILS = 120;
const WEBHOOK_EVENTS_PER_ITERATION = 10;
const SENDER = 'Shop <orders@mailroom.test>';
const DELIVERED = 'success@simulator.amazonses.com';
const RECEIPT_HTML = `<h1>Your receipt</h1>${'<p>Thanks for your order. Here is what you bought.</p>'.repeat(30)}`;

const emailBody = (i: number) => ({ from: SENDER, to: DELIVERED, subject: `Receipt ${i}`, html: RECEIPT_HTML, tags: { kind: 'receipt' } });

/** The life of accepted emails after the request: sent from the send queue, SES's events of each, their webhook events. */
async function deliver(p: Pipeline, emails: number): Promise<void> {
  await p.queue('send', emails);
  await p.queue('ses-events', emails * SES_EVENTS_PER_DELIVERED_EMAIL);
  await p.drain('webhook-fanout');
}

/** The teams, inbox, webhook and campaign the operations work with (created through the API, not measured). */
interface Fixtures {
  key: string;
  inboxAddress: string;
  webhookTeam: { id: string; key: string };
  receiver: WebhookReceiver;
  /** The benchmark's own S3 client: it stores received mail as SES's receipt rule does. */
  s3: S3Client;
  close(): Promise<void>;
}

async function createFixtures(stack: BenchStack): Promise<Fixtures> {
  const setup = new Pipeline(stack);
  const team = async (slug: string) => {
    const created = await setup.http<z.output<typeof TeamCreated>>('teams.create', { key: stack.rootKey, body: { slug, name: 'Bench' } });
    return { id: created.id, key: created.api_key.key };
  };
  const stamp = Date.now().toString(36);
  const { key } = await team(`bench-${stamp}`);
  const webhookTeam = await team(`bench-hooks-${stamp}`);
  const inbox = await setup.http<z.output<typeof InboxCreated>>('inboxes.create', { key, body: { username: `support-${stamp}` } });
  const receiver = await startReceiver();
  await setup.http('webhooks.create', { key: webhookTeam.key, body: { url: `${receiver.url}/bench`, description: 'bench' } });
  const template = await setup.http<z.output<typeof Template>>('templates.create', {
    key,
    body: { name: 'Welcome', subject: 'Welcome {{ first_name }}', html: '<p>Hi {{ first_name }}, welcome aboard.</p>' },
  });
  const campaign = await setup.http<z.output<typeof Campaign>>('campaigns.create', {
    key,
    body: {
      kind: 'triggered',
      name: 'Onboarding',
      trigger: { event: 'signed_up' },
      steps: [
        { type: 'send', template_id: template.id, from: SENDER },
        { type: 'wait', duration: '2d' },
        { type: 'send', template_id: template.id, from: SENDER },
      ],
    },
  });
  await setup.http('campaigns.launch', { key, path: `/v1/campaigns/${campaign.id}/launch` });
  setup.collect();
  const s3 = new S3Client({ endpoint: stack.emulators.endpoints.sqsS3, ...LOCAL_AWS, forcePathStyle: true });
  return {
    key,
    inboxAddress: inbox.address,
    webhookTeam,
    receiver,
    s3,
    close: async () => {
      s3.destroy();
      await receiver.close();
    },
  };
}

type PlatformEventBuilder = (typeof import('../../functions/domain/webhook-events.js'))['platformEvent'];

function operations(stack: BenchStack, fixtures: Fixtures, platformEvent: PlatformEventBuilder): Operation[] {
  const { key } = fixtures;
  const stamp = Date.now().toString(36);
  const contact = (kind: string, i: number) => `${kind}-${stamp}-${i}@example.com`;
  /** Where the executions the enrolling track operation starts begin in stack.executions; the step operation runs them in order. */
  let nextExecution: number | undefined;
  return [
    {
      name: 'send',
      unit: 'email',
      warmUp: SEND_WARM_UP_EMAILS / SEND_BATCH,
      // 100 requests to POST /v1/emails: its p50 is a target, judged on more samples than the other operations' 30.
      iterations: 10,
      async run(p, i) {
        // One request per email, as single sends arrive; the queues then run them a full batch at a time.
        for (let j = 0; j < SEND_BATCH; j++) await p.http('emails.send', { key, body: emailBody(i * SEND_BATCH + j) });
        await deliver(p, SEND_BATCH);
        return { units: SEND_BATCH };
      },
    },
    {
      name: 'batch send',
      unit: 'email',
      warmUp: 1,
      iterations: 2,
      async run(p, i) {
        // A small batch warms the same code up.
        const size = i < 0 ? 10 : BATCH_EMAILS;
        await p.http('emails.batch', { key, body: Array.from({ length: size }, (_, j) => emailBody(i * BATCH_EMAILS + j)) });
        await deliver(p, size);
        return { units: size };
      },
    },
    {
      name: 'inbound message',
      unit: 'message',
      warmUp: 3,
      iterations: 20,
      async run(p, i) {
        const raw = await new MailComposer({
          from: 'Customer <customer@example.com>',
          to: fixtures.inboxAddress,
          subject: `Question ${i}`,
          text: 'Hello, I have a question about my order.\n'.repeat(40),
          html: `<p>${'Hello, I have a question about my order. '.repeat(40)}</p>`,
        })
          .compile()
          .build();
        const messageId = randomBytes(20).toString('hex');
        // SES's receipt rule stores the message before it invokes the receipt function (priced as external usage).
        await fixtures.s3.send(new PutObjectCommand({ Bucket: LOCAL_MAIL.bucket, Key: `${INBOUND_OBJECT_PREFIX}${messageId}`, Body: raw }));
        const event = receiptEvent({ messageId, source: 'customer@example.com', recipients: [fixtures.inboxAddress], raw, at: new Date(), functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench-receipt' });
        await p.direct('SES receipt action', 'functions/workers/inbound-receipt.ts', event);
        await p.queue('inbound', 1);
        await p.drain('webhook-fanout');
        return { units: 1, external: { s3Puts: 1, sesReceived: 1, sesIncomingChunks: Math.ceil(raw.length / (256 * 1024)) } };
      },
    },
    {
      name: 'webhook delivery',
      unit: 'event',
      warmUp: 1,
      iterations: 10,
      async run(p, i) {
        const now = new Date().toISOString();
        const events = Array.from({ length: WEBHOOK_EVENTS_PER_ITERATION }, (_, j) => {
          const emailId = `em_bench_${stamp}_${i}_${j}`;
          return platformEvent({
            team_id: fixtures.webhookTeam.id,
            type: 'email.delivered',
            timestamp: now,
            seed: `${emailId}\ndelivery`,
            data: { email_id: emailId, recipient: 'customer@example.com', from: SENDER, to: ['customer@example.com'], subject: 'Receipt', tags: { kind: 'receipt' }, created_at: now },
          });
        });
        // What a producer (the SES events worker) queues; its SendMessageBatch is counted in its own operation.
        await stack.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: stack.queue('webhook-fanout').url, Entries: events.map((event, j) => ({ Id: String(j), MessageBody: JSON.stringify(event) })) }),
        );
        const before = fixtures.receiver.at('/bench').length;
        await p.queue('webhook-fanout', WEBHOOK_EVENTS_PER_ITERATION);
        await p.queue('webhook-delivery', WEBHOOK_EVENTS_PER_ITERATION);
        const delivered = fixtures.receiver.at('/bench').length - before;
        if (delivered !== WEBHOOK_EVENTS_PER_ITERATION) throw new Error(`webhook delivery: the receiver got ${delivered} of ${WEBHOOK_EVENTS_PER_ITERATION} events`);
        return { units: WEBHOOK_EVENTS_PER_ITERATION };
      },
    },
    {
      name: 'identify (new contact)',
      unit: 'request',
      warmUp: 5,
      iterations: 30,
      async run(p, i) {
        await p.http('identify.upsert', { key, body: { email: contact('person', i), first_name: 'Ann', properties: { plan: 'pro' }, tags: ['trial'] } });
        await p.drain('webhook-fanout');
        return { units: 1 };
      },
    },
    {
      name: 'identify (existing contact changes)',
      unit: 'request',
      warmUp: 5,
      iterations: 30,
      buildsOn: 'identify (new contact)',
      async run(p, i) {
        // Warm-up updates the warm-up contacts of the operation before; measured iterations its measured ones.
        await p.http('identify.upsert', { key, body: { email: contact('person', i), properties: { seen: i + 2, plan: 'team' } } });
        await p.drain('webhook-fanout');
        return { units: 1 };
      },
    },
    {
      name: 'track',
      unit: 'request',
      warmUp: 5,
      iterations: 30,
      buildsOn: 'identify (new contact)',
      async run(p, i) {
        await p.http('events.track', { key, body: { email: contact('person', i), event: 'page_viewed', data: { path: '/pricing' } } });
        await p.drain('webhook-fanout');
        return { units: 1 };
      },
    },
    {
      name: 'track (enrols in a campaign)',
      unit: 'request',
      warmUp: 5,
      iterations: 30,
      async run(p, i) {
        nextExecution ??= stack.executions.length;
        await p.http('events.track', { key, body: { email: contact('signup', i), event: 'signed_up' } });
        await p.drain('webhook-fanout');
        return { units: 1 };
      },
    },
    {
      name: 'campaign step (send and wait)',
      unit: 'step',
      warmUp: 5,
      iterations: 30,
      buildsOn: 'track (enrols in a campaign)',
      async run(p) {
        const input = nextExecution === undefined ? undefined : stack.executions[nextExecution++];
        if (!input) throw new Error('campaign step: no enrolment execution left to run (the track operation enrols one per request)');
        const output = await p.direct<Record<string, unknown>>('Step Functions task', 'functions/workers/campaign-step.ts', JSON.parse(input));
        if (output.action !== 'wait') throw new Error(`campaign step: expected the run to wait after its send step, got ${JSON.stringify(output)}`);
        // The email it queued costs what a send costs from the sender on; not part of the step.
        await discard(stack, 'send');
        return { units: 1, external: { stepFunctionsTransitions: stateTransitions(output) } };
      },
    },
  ];
}

async function discard(stack: BenchStack, queue: QueueName): Promise<number> {
  const { url } = stack.queue(queue);
  const messages = await receiveMessages(stack.sqs, url, Infinity, 0);
  await deleteMessages(stack.sqs, url, messages);
  return messages.length;
}

/** `only`: names of the operations to run (all when empty), with those they build on. */
export async function runOperations(stack: BenchStack, memoryMb: (entry: string) => number, only: string[], onProgress: (line: string) => void): Promise<OperationResult[]> {
  const fixtures = await createFixtures(stack);
  // Whatever setting up queued (events of the new teams, say) is nobody's operation.
  for (const { name } of QUEUES) await discard(stack, name);
  // Imported once the functions' environment is set: their SDK clients read their endpoints when first loaded.
  const { platformEvent } = await import('../../functions/domain/webhook-events.js');
  try {
    const results: OperationResult[] = [];
    const all = operations(stack, fixtures, platformEvent);
    const wanted = new Set(only.length ? only : all.map((o) => o.name));
    for (const name of wanted) {
      const operation = all.find((o) => o.name === name);
      if (!operation) throw new Error(`no operation named "${name}" (there are: ${all.map((o) => o.name).join(', ')})`);
      if (operation.buildsOn) wanted.add(operation.buildsOn);
    }
    const selected = all.filter((o) => wanted.has(o.name));
    for (const operation of selected) {
      const started = performance.now();
      for (let i = -operation.warmUp; i < 0; i++) {
        const warmUp = new Pipeline(stack);
        await operation.run(warmUp, i);
        warmUp.collect();
      }
      const pipeline = new Pipeline(stack);
      let units = 0;
      const external = { ...NO_EXTERNAL_USAGE };
      for (let i = 0; i < operation.iterations; i++) {
        const iteration = await operation.run(pipeline, i);
        units += iteration.units;
        for (const [name, value] of Object.entries(iteration.external ?? {})) external[name as keyof ExternalUsage] += value;
      }
      const unfollowed: Record<string, number> = {};
      for (const { name } of QUEUES) {
        const left = await discard(stack, name);
        if (left) unfollowed[name] = left;
      }
      results.push(summarize(operation, pipeline.collect(), units, external, unfollowed, memoryMb));
      onProgress(`${operation.name}: ${units} ${operation.unit}s in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    return results;
  } finally {
    await fixtures.close();
  }
}

const dynamoRoundTrips = (invocation: Invocation) => roundTrips(invocation.calls.filter((c) => c.service === 'DynamoDB'));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The invocations' calls, capacity and log output per unit: of one stage, or of the whole operation. */
function perUnit(invocations: Invocation[], units: number): PerUnit {
  const calls = invocations.flatMap((i) => i.calls);
  const callsPerUnit: Record<string, number> = {};
  for (const { service, command } of calls) callsPerUnit[`${service} ${command}`] = (callsPerUnit[`${service} ${command}`] ?? 0) + 1 / units;
  return {
    callsPerUnit,
    rcuPerUnit: sum(calls.map((c) => c.rcu)) / units,
    wcuPerUnit: sum(calls.map((c) => c.wcu)) / units,
    logBytesPerUnit: sum(invocations.map((i) => i.logBytes)) / units,
  };
}

function summarize(
  operation: Operation,
  invocations: Invocation[],
  units: number,
  external: ExternalUsage,
  unfollowed: Record<string, number>,
  memoryMb: (entry: string) => number,
): OperationResult {
  const stages = new Map<string, Invocation[]>();
  for (const invocation of invocations) stages.set(invocation.stage, [...(stages.get(invocation.stage) ?? []), invocation]);
  const stageResults: StageResult[] = [...stages].map(([stage, list]) => {
    const trips = list.map(dynamoRoundTrips);
    return {
      stage,
      function: functionName(list[0]!.entry),
      memoryMb: memoryMb(list[0]!.entry),
      invocations: list.length,
      recordsPerInvocation: sum(list.map((i) => i.records)) / list.length,
      p50Ms: percentile(list.map((i) => i.ms), 50),
      p99Ms: percentile(list.map((i) => i.ms), 99),
      ownP50Ms: percentile(list.map((i) => i.ms - waitingMs(i.calls)), 50),
      dynamoRoundTrips: { p50: percentile(trips, 50), max: Math.max(...trips) },
      ...perUnit(list, units),
    };
  });
  const costPerUnit = operationCost(invocations, units, external, memoryMb);
  return {
    name: operation.name,
    unit: operation.unit,
    units,
    stages: stageResults,
    ...perUnit(invocations, units),
    dynamoRoundTripsPerUnit: sum(invocations.map(dynamoRoundTrips)) / units,
    costPerUnit,
    infrastructurePerUnit: sum(COST_LINES.filter((line) => line !== 'SES').map((line) => costPerUnit[line])),
    unfollowed,
  };
}
