/**
 * Receiving over real SMTP on the local stack: nodemailer delivers to the local SMTP port → raw MIME in
 * S3 → SES receipt event → receipt function → inbound queue → inbound worker → messages and threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { LOCAL_MAIL } from '../../local/runtime.js';
import { findMessage, listInboxMessages, listThreadMessageIds } from '../../functions/repositories/messages.js';
import { findThread } from '../../functions/repositories/threads.js';
import { receiveMail, type InboundJob } from '../../functions/domain/receive-mail.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectEventually } from '../support/http.js';

let stack: LocalStack;
let key: string;
let inbox: { id: string; address: string };
let s3: S3Client;
let unique = 0;

beforeAll(async () => {
  stack = await startLocalStack();
  ({ adminKey: key } = await createTeam(stack, 'receiving'));
  const created = await call(stack.url, 'POST', '/v1/inboxes', { key, body: { username: `support-${process.pid}-${Date.now().toString(36)}`, display_name: 'Support' } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  inbox = created.body;
  s3 = new S3Client({ endpoint: endpoints().sqsS3, ...LOCAL_AWS, forcePathStyle: true });
});
afterAll(async () => {
  s3.destroy();
  await stack.stop();
});

const smtp = () => nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtpPort, secure: false, ignoreTLS: true });
const subjectOf = (label: string) => `${label} ${process.pid}-${unique++}`;

async function messagesWith(subject: string, count = 1, timeoutMs = 20_000) {
  return expectEventually(async () => {
    const page = await listInboxMessages(inbox.id, { limit: 100 });
    const found = page.data.filter((m) => m.subject.endsWith(subject) || m.subject === subject);
    expect(found.length).toBeGreaterThanOrEqual(count);
    return found;
  }, timeoutMs, 150);
}

const bytesOf = async (objectKey: string) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: LOCAL_MAIL.bucket, Key: objectKey }))).Body!.transformToByteArray());

describe('receiving over SMTP', () => {
  it('stores the message, its parts and byte-exact attachments, with verdicts', async () => {
    const subject = subjectOf('Invoice');
    const pdf = randomBytes(200_000);
    await smtp().sendMail({
      from: 'Customer <customer@example.com>',
      to: inbox.address,
      subject,
      text: 'Please find the invoice attached.\n\nOn Mon, Bob wrote:\n> old text',
      html: '<p>Please find the invoice attached.</p>',
      attachments: [{ filename: 'invoice.pdf', content: pdf, contentType: 'application/pdf' }],
    });
    const [message] = await messagesWith(subject);
    expect(message).toMatchObject({ status: 'received', direction: 'inbound', from: 'Customer <customer@example.com>', read: false, preview: 'Please find the invoice attached.' });
    expect(message!.verdicts).toMatchObject({ spam: 'PASS', virus: 'PASS' });
    expect(message!.attachments).toEqual([expect.objectContaining({ filename: 'invoice.pdf', content_type: 'application/pdf', size: pdf.length })]);
    expect((await bytesOf(message!.attachments[0]!.key)).equals(pdf)).toBe(true);
    expect((await bytesOf(message!.html_key!)).toString()).toContain('invoice attached');
    expect((await bytesOf(message!.raw_key!)).toString()).toContain(`Subject: ${subject}`);
  });

  it('threads replies by In-Reply-To/References, and by subject only among the same participants', async () => {
    const subject = subjectOf('Order question');
    const transport = smtp();
    const first = await transport.sendMail({ from: 'ann@example.com', to: inbox.address, subject, text: 'Where is my order?' });
    const [original] = await messagesWith(subject);
    await transport.sendMail({ from: 'ann@example.com', to: inbox.address, subject: `Re: ${subject}`, text: 'Any news?', inReplyTo: first.messageId, references: [first.messageId] });
    await transport.sendMail({ from: 'ann@example.com', to: inbox.address, subject: `RE: Fwd: ${subject}`, text: 'Hello again' });
    await transport.sendMail({ from: 'someone-else@example.com', to: inbox.address, subject, text: 'Unrelated' });
    const all = await messagesWith(subject, 4);
    const byText = async (needle: string) => {
      for (const m of all) if ((await bytesOf(m.text_key!)).toString().includes(needle)) return m;
      throw new Error(`no message with ${needle}`);
    };
    const reply = await byText('Any news?');
    const bySubject = await byText('Hello again');
    const stranger = await byText('Unrelated');
    expect(reply.thread_id).toBe(original!.thread_id);
    expect(reply.in_reply_to).toBe(first.messageId);
    expect(bySubject.thread_id).toBe(original!.thread_id);
    expect(stranger.thread_id).not.toBe(original!.thread_id);
    const thread = await findThread(original!.thread_id);
    expect(thread).toMatchObject({ message_count: 3, participants: ['ann@example.com'] });
    expect(await listThreadMessageIds(original!.thread_id)).toEqual([original!.id, reply.id, bySubject.id].sort());
  });

  it('keeps a message that is not MIME raw, marked unparsed', async () => {
    const marker = `garbage-${Date.now()}`;
    await smtp().sendMail({ envelope: { from: 'x@example.com', to: [inbox.address] }, raw: Buffer.from(`\r\n\r\n${marker} \u0000\u0001 not a mime message`) });
    const message = await expectEventually(async () => {
      const page = await listInboxMessages(inbox.id, { limit: 100 });
      const found = page.data.find((m) => m.status === 'unparsed');
      expect(found).toBeDefined();
      return found!;
    }, 20_000, 150);
    expect(message.labels).toContain('unparsed');
    expect((await bytesOf(message.raw_key!)).toString()).toContain(marker);
  });

  it('receives a 30 MB message (SES caps encoded MIME at 40 MB)', async () => {
    const subject = subjectOf('Big');
    // 22 MiB of binary is about 30 MiB once base64-encoded in the message.
    const big = randomBytes(22 * 1024 * 1024);
    await smtp().sendMail({ from: 'big@example.com', to: inbox.address, subject, text: 'big one', attachments: [{ filename: 'big.bin', content: big }] });
    const [message] = await messagesWith(subject, 1, 80_000);
    expect(message!.status).toBe('received');
    expect(message!.size).toBeGreaterThan(29 * 1024 * 1024);
    expect((await bytesOf(message!.attachments[0]!.key)).equals(big)).toBe(true);
  }, 120_000);

  it('drops mail for addresses no inbox owns, without bouncing', async () => {
    const subject = subjectOf('Nobody');
    const info = await smtp().sendMail({ from: 'a@example.com', to: `nobody-${Date.now()}@mailroom.test`, subject, text: 'x' });
    expect(info.accepted).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const page = await listInboxMessages(inbox.id, { limit: 100 });
    expect(page.data.find((m) => m.subject === subject)).toBeUndefined();
  });

  it('applies the inbox’s block rules: label or drop', async () => {
    const labelled = subjectOf('Blocked label');
    expect((await call(stack.url, 'PATCH', `/v1/inboxes/${inbox.id}`, { key, body: { rules: { allow: [], block: ['@spam.example'], on_blocked: 'label' } } })).status).toBe(200);
    await smtp().sendMail({ from: 'promo@spam.example', to: inbox.address, subject: labelled, text: 'buy' });
    const [message] = await messagesWith(labelled);
    expect(message!.labels).toContain('blocked');

    const dropped = subjectOf('Blocked drop');
    expect((await call(stack.url, 'PATCH', `/v1/inboxes/${inbox.id}`, { key, body: { rules: { allow: [], block: ['@spam.example'], on_blocked: 'drop' } } })).status).toBe(200);
    await smtp().sendMail({ from: 'promo@spam.example', to: inbox.address, subject: dropped, text: 'buy' });
    const control = subjectOf('After block');
    await smtp().sendMail({ from: 'friend@example.com', to: inbox.address, subject: control, text: 'hi' });
    await messagesWith(control);
    const page = await listInboxMessages(inbox.id, { limit: 100 });
    expect(page.data.find((m) => m.subject === dropped)).toBeUndefined();
    await call(stack.url, 'PATCH', `/v1/inboxes/${inbox.id}`, { key, body: { rules: { allow: [], block: [], on_blocked: 'label' } } });
  });

  it('a redelivered receipt does not store the message twice', async () => {
    const subject = subjectOf('Twice');
    await smtp().sendMail({ from: 'twice@example.com', to: inbox.address, subject, text: 'once' });
    const [message] = await messagesWith(subject);
    const job: InboundJob = {
      ses_message_id: message!.ses_message_id!,
      timestamp: message!.received_at,
      recipients: [inbox.address],
      source: 'twice@example.com',
      verdicts: message!.verdicts!,
    };
    await receiveMail(job);
    const page = await listInboxMessages(inbox.id, { limit: 100 });
    expect(page.data.filter((m) => m.subject === subject)).toHaveLength(1);
    expect(await findMessage(message!.id)).toMatchObject({ id: message!.id });
  });
});
