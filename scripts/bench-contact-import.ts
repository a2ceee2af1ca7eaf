/**
 * What importing contacts costs: the import worker's AWS calls per row and rows per second, against the local
 * emulators, for a CSV of new contacts and for the same file imported again (every row unchanged).
 * Run: AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true tsx scripts/bench-contact-import.ts [rows]
 */
import { randomUUID } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { LOCAL_AWS } from '../local/aws-env.js';
import { toSqsRecord } from '../local/queue-poller.js';
import { createBenchTeam, invokeRoute, recordAwsCalls, startBenchStack } from './bench-support.js';

const ROWS = Number(process.argv[2] ?? 5000);
const stack = await startBenchStack('mailroom-bench-import');
try {
  const calls = await recordAwsCalls();
  const { s3 } = await import('../functions/shared/clients.js');
  const { physicalKey } = await import('../functions/domain/storage.js');
  const { handler } = await import('../functions/workers/contact-import.js');
  const key = await createBenchTeam(stack.rootKey);
  const teamId = JSON.parse((await invokeRoute('me.get', { key })).body!).team.id as string;
  const slug = `bench-${Date.now()}`;
  await invokeRoute('buckets.create', { key, body: { slug } });
  const lines = ['email,first_name,last_name,plan,tags'];
  for (let i = 0; i < ROWS; i++) lines.push(`person${i}@example.com,Person,"Number ${i}",${i % 3 ? 'free' : 'pro'},imported;bench`);
  await s3.send(new PutObjectCommand({ Bucket: process.env.MEDIA_BUCKET!, Key: physicalKey(teamId, slug, 'people.csv'), Body: `${lines.join('\r\n')}\r\n` }));

  const queue = stack.queues.find((q) => q.definition.name === 'contact-import')!;
  const receiver = new SQSClient({ endpoint: stack.emulators.endpoints.sqsS3, ...LOCAL_AWS });
  const rows: string[] = [];
  for (const label of ['new contacts', 'same file again (unchanged)']) {
    const started = JSON.parse((await invokeRoute('contact-imports.create', { key, body: { bucket: slug, key: 'people.csv' }, headers: { 'idempotency-key': randomUUID() } })).body!);
    calls.length = 0;
    let busyMs = 0;
    let chunks = 0;
    for (;;) {
      const { Messages = [] } = await receiver.send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, AttributeNames: ['All'] }));
      if (!Messages.length) break;
      const began = performance.now();
      await handler({ Records: [toSqsRecord(Messages[0]!, queue, 'us-east-1')] } as SQSEvent, {} as never);
      busyMs += performance.now() - began;
      chunks++;
      await receiver.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: Messages[0]!.ReceiptHandle! }));
    }
    const job = JSON.parse((await invokeRoute('contact-imports.get', { key, path: `/v1/contacts/imports/${started.id}` })).body!);
    const counts = new Map<string, number>();
    for (const c of calls) counts.set(`${c.service} ${c.command}`, (counts.get(`${c.service} ${c.command}`) ?? 0) + 1);
    const perRow = [...counts].map(([name, n]) => `${name}×${(n / ROWS).toFixed(3)}`).join(', ');
    rows.push(`| ${label} | ${job.status} ${JSON.stringify(job.rows)} | ${chunks} | ${(calls.length / ROWS).toFixed(2)} | ${perRow} | ${((ROWS / busyMs) * 1000).toFixed(0)} |`);
  }
  process.stdout.write(
    [
      `Contact import of ${ROWS} CSV rows, the worker's AWS calls (after the start request) against the local emulators:`,
      '',
      '| file | job | chunks | AWS calls / row | calls / row | rows / s |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
  receiver.destroy();
} finally {
  await stack.stop();
}
