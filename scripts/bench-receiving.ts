/**
 * `npm run bench` (third part): what receiving one message costs — the inbound worker's AWS calls and
 * processing time for a small message and a 10 MB one, against the local emulators.
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { LOCAL_AWS } from '../local/aws-env.js';
import { LOCAL_MAIL } from '../local/runtime.js';
import { createBenchTeam, invokeRoute, percentile, recordAwsCalls, startBenchStack } from './bench-support.js';

const stack = await startBenchStack('mailroom-bench-receiving');
try {
  const calls = await recordAwsCalls();
  const { receiveMail } = await import('../functions/domain/receive-mail.js');
  const teamKey = await createBenchTeam(stack.rootKey);
  const inbox = JSON.parse((await invokeRoute('inboxes.create', { key: teamKey, body: { username: `bench-${Date.now()}` } })).body!);
  const s3 = new S3Client({ endpoint: stack.emulators.endpoints.sqsS3, ...LOCAL_AWS, forcePathStyle: true });

  const message = (subject: string, attachment?: Buffer) =>
    new MailComposer({
      from: 'Customer <customer@example.com>',
      to: inbox.address,
      subject,
      text: 'Hello, I have a question about my order.\n'.repeat(40),
      html: `<p>${'Hello, I have a question about my order. '.repeat(40)}</p>`,
      attachments: attachment ? [{ filename: 'scan.bin', content: attachment }] : [],
    })
      .compile()
      .build();

  const rows: string[] = [];
  for (const [label, attachment, runs] of [
    ['small (~5 KB)', undefined, 30],
    ['10 MB (7.4 MB attachment, base64)', randomBytes(7_400_000), 5],
  ] as const) {
    const times: number[] = [];
    const counts = new Map<string, number>();
    let size = 0;
    for (let i = 0; i < runs + 2; i++) {
      const raw = await message(`${label} ${i}`, attachment);
      size = raw.length;
      const sesId = randomBytes(20).toString('hex');
      // What SES's S3 action does before the worker runs (not the worker's cost).
      if (raw.length > 8 * 1024 * 1024) await new Upload({ client: s3, params: { Bucket: LOCAL_MAIL.bucket, Key: `inbound/${sesId}`, Body: raw }, partSize: 8 * 1024 * 1024 }).done();
      else await s3.send(new PutObjectCommand({ Bucket: LOCAL_MAIL.bucket, Key: `inbound/${sesId}`, Body: raw }));
      calls.length = 0;
      const started = performance.now();
      await receiveMail({
        ses_message_id: sesId,
        timestamp: new Date().toISOString(),
        recipients: [inbox.address],
        source: 'customer@example.com',
        verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
      });
      if (i < 2) continue;
      times.push(performance.now() - started);
      for (const c of calls) counts.set(`${c.service} ${c.command}`, (counts.get(`${c.service} ${c.command}`) ?? 0) + 1);
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0) / runs;
    const list = [...counts].map(([k, n]) => `${k}×${(n / runs).toFixed(2)}`).join(', ');
    const shown = size < 1024 * 1024 ? `${(size / 1024).toFixed(1)} KB` : `${(size / 1024 / 1024).toFixed(2)} MB`;
    rows.push(`| ${label} | ${shown} | ${total.toFixed(2)} | ${list} | ${percentile(times, 50).toFixed(0)} | ${percentile(times, 95).toFixed(0)} |`);
  }
  process.stdout.write(
    [
      'Receiving, the inbound worker per message (after warm-up), against the local emulators:',
      '',
      '| message | size | AWS calls | calls | p50 ms | p95 ms |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
  s3.destroy();
} finally {
  await stack.stop();
}
