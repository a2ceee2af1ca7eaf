/**
 * `npm run bench` (second part): the AWS calls and handler time of one sent email through the whole
 * pipeline — the send API, the sender worker, and the events worker applying SES's Send and Delivery
 * events — measured in-process against the local emulators, and the cost per 1,000 emails they imply.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { LOCAL_AWS } from '../local/aws-env.js';
import { lambdaContext, loadHandler } from '../local/lambda.js';
import { toSqsRecord } from '../local/queue-poller.js';
import { queueByName } from '../lib/queues.js';
import { createBenchTeam, invokeRoute, percentile, PRICE, dynamoCallCost, recordAwsCalls, startBenchStack, type AwsCall } from './bench-support.js';

const EMAILS = Number(process.env.BENCH_EMAILS ?? 50);


const stack = await startBenchStack('mailroom-bench-sending');
try {
  const calls = await recordAwsCalls();
  const teamKey = await createBenchTeam(stack.rootKey);
  const sqs = new SQSClient({ endpoint: stack.emulators.endpoints.sqsS3, ...LOCAL_AWS, useQueueUrlAsEndpoint: false });
  const queueOf = (name: string) => stack.queues.find((q) => q.definition.name === name)!;
  const sendQueue = queueOf('send');
  const eventsQueue = queueOf('ses-events');
  type Consumer = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;
  const sender = await loadHandler<SQSEvent, SQSBatchResponse>(queueByName('send').consumer) as Consumer;
  const eventsWorker = await loadHandler<SQSEvent, SQSBatchResponse>(queueByName('ses-events').consumer) as Consumer;

  /** What Lambda's event source mapping does before invoking the consumer (not the function's own cost). */
  const receive = async (url: string, want: number): Promise<Message[]> => {
    const messages: Message[] = [];
    for (let tries = 0; messages.length < want && tries < 50; tries++) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }));
      messages.push(...(Messages ?? []));
    }
    return messages;
  };
  const consume = async (worker: Consumer, queue: typeof sendQueue, messages: Message[]) => {
    const result = await worker({ Records: messages.map((m) => toSqsRecord(m, queue, LOCAL_AWS.region)) }, lambdaContext('bench', 30));
    if (result.batchItemFailures.length) throw new Error(`${result.batchItemFailures.length} records failed`);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  };

  const phases = { api: [] as AwsCall[][], sender: [] as AwsCall[][], events: [] as AwsCall[][] };
  const times = { api: [] as number[], sender: [] as number[], events: [] as number[] };
  const html = `<h1>Your receipt</h1>${'<p>Thanks for your order. Here is what you bought.</p>'.repeat(30)}`;
  for (let i = 0; i < EMAILS + 5; i++) {
    const warm = i < 5;
    calls.length = 0;
    let started = performance.now();
    const response = await invokeRoute('emails.send', {
      key: teamKey,
      body: { from: 'Shop <orders@mailroom.test>', to: 'success@simulator.amazonses.com', subject: `Receipt ${i}`, html, tags: { kind: 'receipt' } },
    });
    if (response.statusCode !== 202) throw new Error(`send: ${response.statusCode} ${response.body}`);
    if (!warm) (times.api.push(performance.now() - started), phases.api.push([...calls]));

    const jobs = await receive(sendQueue.url, 1);
    calls.length = 0;
    started = performance.now();
    await consume(sender, sendQueue, jobs);
    if (!warm) (times.sender.push(performance.now() - started), phases.sender.push([...calls]));

    const events = await receive(eventsQueue.url, 2);
    calls.length = 0;
    started = performance.now();
    await consume(eventsWorker, eventsQueue, events);
    if (!warm) (times.events.push(performance.now() - started), phases.events.push([...calls]));
  }

  const perEmail = (runs: AwsCall[][]) => {
    const counts = new Map<string, number>();
    for (const run of runs) for (const c of run) counts.set(`${c.service} ${c.command}`, (counts.get(`${c.service} ${c.command}`) ?? 0) + 1);
    return new Map([...counts].map(([k, n]) => [k, n / runs.length]));
  };
  const rows: string[] = [];
  let cost = 0;
  const costOf = (name: string, count: number) => {
    const [service, command] = name.split(' ') as [string, string];
    if (service === 'DynamoDB') return count * dynamoCallCost(command);
    if (service === 'SQS') return count * PRICE.sqsRequest;
    if (service === 'S3') return count * (command === 'PutObject' ? PRICE.s3Put : PRICE.s3Get);
    if (service === 'SES') return count * PRICE.sesEmail;
    return 0;
  };
  for (const [phase, runs] of Object.entries(phases)) {
    const counts = perEmail(runs);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    for (const [name, count] of counts) cost += costOf(name, count);
    const list = [...counts].map(([k, n]) => `${k}×${n.toFixed(2)}`).join(', ');
    const t = times[phase as keyof typeof times];
    rows.push(`| ${phase} | ${total.toFixed(2)} | ${list} | ${percentile(t, 50).toFixed(1)} | ${percentile(t, 95).toFixed(1)} |`);
  }
  // Per email on AWS, beyond the calls above: 1 API request, 3 Lambda invocations (events arrive in one
  // batch at best, two at worst: counted as two), 2 SNS publishes (Send, Delivery).
  const lambdaSeconds = (percentile(times.api, 50) * 1 + percentile(times.sender, 50) * 0.5 + percentile(times.events, 50) * 0.5) / 1000;
  const fixed = PRICE.httpApiRequest + 3 * PRICE.lambdaRequest + 2 * PRICE.snsPublish + lambdaSeconds * PRICE.lambdaGbSecondArm;
  const perThousand = (cost + fixed) * 1000;
  const sesShare = PRICE.sesEmail * 1000;
  process.stdout.write(
    [
      `Sending pipeline, ${EMAILS} emails (after 5 warm-up), each through the send API, the sender worker and the events worker (Send + Delivery):`,
      '',
      '| phase | AWS calls / email | calls | handler p50 ms | p95 ms |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      `Cost per 1,000 emails: $${perThousand.toFixed(4)} (SES $${sesShare.toFixed(4)}, everything else $${(perThousand - sesShare).toFixed(4)}: DynamoDB, SQS, S3, SNS, API Gateway, Lambda at local p50 times).`,
      '',
    ].join('\n'),
  );
  sqs.destroy();
} finally {
  await stack.stop();
}
