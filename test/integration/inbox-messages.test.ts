/**
 * Reading an inbox over the API: mail delivered over real SMTP to the local port, then listed and filtered,
 * read (parts from S3; attachments and the raw MIME through presigned URLs, fetched like any client would),
 * labelled and marked read with If-Match, grouped in threads; an inbox key reads its own inbox only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { LOCAL_MAIL } from '../../local/runtime.js';
import { INBOUND_PREFIX } from '../../functions/domain/receive-mail.js';
import { getMailText } from '../../functions/repositories/mail-store.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectError, expectEventually } from '../support/http.js';
import { uniqueUsername } from './route-cases/inboxes.js';

let stack: LocalStack;
let s3: S3Client;
let adminKey: string;
let readKey: string;
let otherTeamKey: string;
let inbox: { id: string; address: string };
let inboxKey: string;
let otherInbox: { id: string; address: string };
const run = `${process.pid}-${Date.now().toString(36)}`;

const pdf = randomBytes(120_000);
const notes = Buffer.from('Notes: déjà vu ✓\n', 'utf8');
/** The first message, composed here so the raw download can be compared byte for byte. */
let firstRaw: Buffer;
const firstMessageId = `<invoice-${run}@example.com>`;

/** Messages as the list shows them, by their role in the conversation. */
const m = {} as Record<'first' | 'reply' | 'other' | 'elsewhere', any>;

const smtp = () => nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtpPort, secure: false, ignoreTLS: true });
const messagesPath = (inboxId = inbox.id) => `/v1/inboxes/${inboxId}/messages`;

/** Waits until the inbox lists a message with this subject (delivery goes through the receipt function and a queue). */
async function received(inboxId: string, subject: string) {
  return expectEventually(async () => {
    const res = await call(stack.url, 'GET', `${messagesPath(inboxId)}?limit=100`, { key: adminKey });
    expect(res.status).toBe(200);
    const found = res.body.data.find((message: { subject: string }) => message.subject === subject);
    expect(found).toBeDefined();
    return found;
  }, 20_000, 150);
}

const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((message) => message.id);

beforeAll(async () => {
  stack = await startLocalStack();
  s3 = new S3Client({ endpoint: endpoints().sqsS3, ...LOCAL_AWS, forcePathStyle: true });
  ({ adminKey } = await createTeam(stack, 'inbox-messages'));
  ({ adminKey: otherTeamKey } = await createTeam(stack, 'inbox-messages-other'));
  const read = await call(stack.url, 'POST', '/v1/api-keys', { key: adminKey, body: { name: 'reader', scopes: ['read'] } });
  expect(read.status).toBe(201);
  readKey = read.body.key;
  const created = await call(stack.url, 'POST', '/v1/inboxes', { key: adminKey, body: { username: uniqueUsername('reader') } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  inbox = created.body;
  inboxKey = created.body.api_key.key;
  const second = await call(stack.url, 'POST', '/v1/inboxes', { key: adminKey, body: { username: uniqueUsername('other') } });
  expect(second.status).toBe(201);
  otherInbox = second.body;

  const transport = smtp();
  const subject = `Invoice ${run}`;
  firstRaw = await new MailComposer({
    from: 'Customer <customer@example.com>',
    to: inbox.address,
    subject,
    messageId: firstMessageId,
    text: 'Please find the invoice attached.\n\nOn Mon, Bob wrote:\n> the old text',
    html: '<p>Please find the invoice attached.</p>',
    attachments: [
      { filename: 'invoice.pdf', content: pdf, contentType: 'application/pdf' },
      { filename: 'notes – déjà.txt', content: notes, contentType: 'text/plain; charset=utf-8' },
    ],
  })
    .compile()
    .build();
  await transport.sendMail({ envelope: { from: 'customer@example.com', to: [inbox.address] }, raw: firstRaw });
  m.first = await received(inbox.id, subject);
  // One at a time, so each message is received in a later millisecond than the one before (ids are time-sortable).
  await transport.sendMail({
    from: 'Customer <customer@example.com>',
    to: inbox.address,
    subject: `Re: ${subject}`,
    text: 'Thanks, received.\n\nOn Tue, Support wrote:\n> Please find the invoice attached.',
    inReplyTo: firstMessageId,
    references: [firstMessageId],
  });
  m.reply = await received(inbox.id, `Re: ${subject}`);
  await transport.sendMail({ from: 'Other Sender <Other@Example.org>', to: inbox.address, subject: `Hello ${run}`, text: 'Unrelated.' });
  m.other = await received(inbox.id, `Hello ${run}`);
  await transport.sendMail({ from: 'someone@example.net', to: otherInbox.address, subject: `Elsewhere ${run}`, text: 'For the other inbox.' });
  m.elsewhere = await received(otherInbox.id, `Elsewhere ${run}`);
}, 90_000);

afterAll(async () => {
  s3?.destroy();
  await stack?.stop();
});

describe('listing messages', () => {
  it('lists newest first, as summaries without storage keys, page by page', async () => {
    const res = await call(stack.url, 'GET', messagesPath(), { key: adminKey });
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([m.other.id, m.reply.id, m.first.id]);
    expect(res.body.next_cursor).toBeNull();
    for (const message of res.body.data) {
      expect(message).toMatchObject({ inbox_id: inbox.id, direction: 'inbound', status: 'received', read: false, version: 1 });
      for (const hidden of ['raw_key', 'text_key', 'html_key', 'from_search']) expect(message).not.toHaveProperty(hidden);
    }
    const first = res.body.data[2];
    expect(first).toMatchObject({ from: 'Customer <customer@example.com>', preview: 'Please find the invoice attached.', message_id: firstMessageId });
    expect(first.attachments).toEqual([
      { id: 'att_0', filename: 'invoice.pdf', content_type: 'application/pdf', size: pdf.length, content_id: null },
      expect.objectContaining({ id: 'att_1', filename: 'notes – déjà.txt', size: notes.length }),
    ]);

    const page1 = await call(stack.url, 'GET', `${messagesPath()}?limit=2`, { key: adminKey });
    expect(ids(page1)).toEqual([m.other.id, m.reply.id]);
    const page2 = await call(stack.url, 'GET', `${messagesPath()}?limit=2&cursor=${page1.body.next_cursor}`, { key: adminKey });
    expect(ids(page2)).toEqual([m.first.id]);
    expect(page2.body.next_cursor).toBeNull();

    // A cursor from another inbox's list is refused, not followed.
    const elsewhere = await call(stack.url, 'GET', `${messagesPath(otherInbox.id)}?limit=1`, { key: adminKey });
    expect(elsewhere.body.next_cursor).toEqual(expect.any(String));
    const foreign = await call(stack.url, 'GET', `${messagesPath()}?cursor=${elsewhere.body.next_cursor}`, { key: adminKey });
    expectError(foreign, 400, 'invalid_parameter');
    expect(foreign.body.error.param).toBe('cursor');
  });

  it('filters by sender (any part, any case) and by time range', async () => {
    const list = async (query: string) => ids(await call(stack.url, 'GET', `${messagesPath()}?${query}`, { key: adminKey }));
    expect(await list('from=customer@example.com')).toEqual([m.reply.id, m.first.id]);
    expect(await list('from=OTHER%40example.ORG')).toEqual([m.other.id]);
    expect(await list('from=Other%20Sender')).toEqual([m.other.id]);
    expect(await list('from=example')).toEqual([m.other.id, m.reply.id, m.first.id]);
    expect(await list('from=nobody')).toEqual([]);

    const at = encodeURIComponent(m.reply.received_at);
    expect(await list(`since=${at}`)).toEqual([m.other.id, m.reply.id]);
    expect(await list(`until=${at}`)).toEqual([m.reply.id, m.first.id]);
    expect(await list(`since=${at}&until=${at}`)).toEqual([m.reply.id]);
    expect(await list(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
    expect(await list(`since=${at}&from=customer`)).toEqual([m.reply.id]);
  });

  it('refuses malformed filters with every field named', async () => {
    const res = await call(stack.url, 'GET', `${messagesPath()}?label=Not%20OK!&unread=yes&since=yesterday`, { key: adminKey });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.errors.map((e: { field: string }) => e.field)).toEqual(['label', 'unread', 'since']);
  });
});

describe('reading a message', () => {
  it('returns text, HTML, the reply text, headers, verdicts and attachments that download byte-exact', async () => {
    const res = await call(stack.url, 'GET', `${messagesPath()}/${m.first.id}`, { key: adminKey });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body).toMatchObject({
      id: m.first.id,
      thread_id: m.first.thread_id,
      subject: `Invoice ${run}`,
      html: '<p>Please find the invoice attached.</p>',
      reply_text: 'Please find the invoice attached.',
      truncated: false,
      message_id: firstMessageId,
      in_reply_to: null,
      references: [],
      verdicts: { spam: 'PASS', virus: 'PASS', spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' },
      labels: [],
      read: false,
    });
    expect(res.body.text).toContain('On Mon, Bob wrote:');
    expect(res.body).not.toHaveProperty('raw_key');

    const [invoice, noteFile] = res.body.attachments;
    expect(invoice).toMatchObject({ filename: 'invoice.pdf', content_type: 'application/pdf', size: pdf.length });
    expect(invoice).not.toHaveProperty('key');
    const expiresIn = Date.parse(invoice.download_expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(14 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);
    // Plain fetch, no API key: the URL alone grants the download.
    for (const [attachment, bytes] of [[invoice, pdf], [noteFile, notes]] as const) {
      const download = await fetch(attachment.download_url);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    }
    // S3 answers with these headers (the local emulator ignores them): browsers save under the real name.
    expect(new URL(invoice.download_url).searchParams.get('response-content-disposition')).toBe('attachment; filename=invoice.pdf');
    expect(new URL(noteFile.download_url).searchParams.get('response-content-disposition')).toContain("filename*=UTF-8''notes%20%E2%80%93%20d%C3%A9j%C3%A0.txt");
  });

  it('extracts what a reply says without the quoted history, with its threading headers', async () => {
    const res = await call(stack.url, 'GET', `${messagesPath()}/${m.reply.id}`, { key: adminKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ reply_text: 'Thanks, received.', in_reply_to: firstMessageId, references: [firstMessageId], attachments: [], html: null });
    expect(res.body.text).toContain('> Please find the invoice attached.');
  });

  it('hands out the raw MIME through a presigned URL, byte-exact as it was received', async () => {
    const res = await call(stack.url, 'GET', `${messagesPath()}/${m.first.id}/raw`, { key: adminKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ download_url: expect.any(String), expires_at: expect.any(String), size: m.first.size });
    const download = Buffer.from(await (await fetch(res.body.download_url)).arrayBuffer());
    const inbound = await s3.send(new GetObjectCommand({ Bucket: LOCAL_MAIL.bucket, Key: `${INBOUND_PREFIX}${m.first.ses_message_id}` }));
    expect(download.equals(Buffer.from(await inbound.Body!.transformToByteArray()))).toBe(true);
    expect(download.length).toBe(m.first.size);
    // What was sent, as SMTP carries it: every line ends in CRLF.
    expect(download.toString('utf8').replace(/\r\n$/, '')).toBe(firstRaw.toString('utf8').replace(/\r?\n/g, '\r\n').replace(/\r\n$/, ''));
  });

  it('answers 404 for a message of another inbox, or one that does not exist', async () => {
    const viaOtherInbox = await call(stack.url, 'GET', `${messagesPath(otherInbox.id)}/${m.first.id}`, { key: adminKey });
    expectError(viaOtherInbox, 404, 'not_found');
    const missing = await call(stack.url, 'GET', `${messagesPath()}/msg_01jz0000000000000000000000`, { key: adminKey });
    expectError(missing, 404, 'not_found');
    expect(missing.body.error.message).toBe(viaOtherInbox.body.error.message);
    expectError(await call(stack.url, 'GET', `${messagesPath(otherInbox.id)}/${m.first.id}/raw`, { key: adminKey }), 404, 'not_found');
  });

  it('cuts a body part that is too large on a character boundary and says so', async () => {
    const key = `test/inbox-messages/${run}/body.txt`;
    await s3.send(new PutObjectCommand({ Bucket: LOCAL_MAIL.bucket, Key: key, Body: 'déjà' }));
    // "d" is 1 byte and "é" 2: the limit of 2 bytes falls inside "é", which is left out whole.
    expect(await getMailText(key, 2)).toEqual({ text: 'd', truncated: true });
    expect(await getMailText(key, 6)).toEqual({ text: 'déjà', truncated: false });
  });
});

describe('changing labels and read state', () => {
  const patch = (id: string, body: object, options: { key?: string; ifMatch?: string } = {}) =>
    call(stack.url, 'PATCH', `${messagesPath()}/${id}`, { key: options.key ?? adminKey, body, headers: options.ifMatch ? { 'if-match': options.ifMatch } : {} });

  it('adds and removes labels and marks read, with ETags and If-Match', async () => {
    const first = await patch(m.first.id, { labels: { add: ['Urgent', 'billing'] }, read: true });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: m.first.id, labels: ['urgent', 'billing'], read: true, version: 2 });
    expect(first.body).not.toHaveProperty('raw_key');
    expect(first.headers.get('etag')).toBe('"2"');

    expectError(await patch(m.first.id, { labels: { remove: ['urgent'] } }, { ifMatch: '"1"' }), 409, 'conflict');
    const second = await patch(m.first.id, { labels: { remove: ['urgent', 'never-there'] } }, { ifMatch: '"2"' });
    expect(second.body).toMatchObject({ labels: ['billing'], read: true, version: 3 });
    // A change that changes nothing writes nothing: the version stays.
    const same = await patch(m.first.id, { read: true, labels: { add: ['billing'] } });
    expect(same.body.version).toBe(3);
    const got = await call(stack.url, 'GET', `${messagesPath()}/${m.first.id}`, { key: adminKey });
    expect(got.headers.get('etag')).toBe('"3"');
    expect(got.body).toMatchObject({ labels: ['billing'], read: true });

    const list = async (query: string) => ids(await call(stack.url, 'GET', `${messagesPath()}?${query}`, { key: adminKey }));
    expect(await list('label=billing')).toEqual([m.first.id]);
    expect(await list('label=BILLING')).toEqual([m.first.id]);
    expect(await list('unread=true')).toEqual([m.other.id, m.reply.id]);
    expect(await list('unread=false')).toEqual([m.first.id]);
    expect(await list('unread=true&from=customer')).toEqual([m.reply.id]);
  });

  it('refuses more than 20 labels, a malformed If-Match, and a team key without write', async () => {
    const many = Array.from({ length: 20 }, (_, i) => `tag-${i}`);
    const tooMany = await patch(m.other.id, { labels: { add: many } });
    expect(tooMany.status).toBe(200);
    const overflow = await patch(m.other.id, { labels: { add: ['one-more'] } });
    expectError(overflow, 422, 'validation_error');
    expect(overflow.body.error.param).toBe('labels.add');
    expect((await patch(m.other.id, { labels: { remove: many } })).body.labels).toEqual([]);

    const malformed = await patch(m.other.id, { read: true }, { ifMatch: 'abc' });
    expectError(malformed, 400, 'invalid_parameter');
    expect(malformed.body.error.param).toBe('If-Match');

    const reader = await patch(m.other.id, { read: true }, { key: readKey });
    expectError(reader, 403, 'insufficient_permissions');
    expect(reader.body.error.required_scope).toBe('write');
    expect((await call(stack.url, 'GET', `${messagesPath()}/${m.other.id}`, { key: readKey })).body.read).toBe(false);
  });
});

describe('threads', () => {
  it('lists threads by latest activity and returns a thread with its messages in order', async () => {
    const list = await call(stack.url, 'GET', `/v1/inboxes/${inbox.id}/threads`, { key: adminKey });
    expect(list.status).toBe(200);
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([m.other.thread_id, m.first.thread_id]);
    expect(list.body.data[1]).toMatchObject({ inbox_id: inbox.id, subject: `Invoice ${run}`, message_count: 2, participants: ['customer@example.com'] });
    const page = await call(stack.url, 'GET', `/v1/inboxes/${inbox.id}/threads?limit=1`, { key: adminKey });
    expect(page.body.data).toHaveLength(1);
    const rest = await call(stack.url, 'GET', `/v1/inboxes/${inbox.id}/threads?limit=1&cursor=${page.body.next_cursor}`, { key: adminKey });
    expect(rest.body.data.map((t: { id: string }) => t.id)).toEqual([m.first.thread_id]);

    const thread = await call(stack.url, 'GET', `/v1/inboxes/${inbox.id}/threads/${m.first.thread_id}`, { key: adminKey });
    expect(thread.status).toBe(200);
    expect(thread.body).toMatchObject({ id: m.first.thread_id, message_count: 2 });
    expect(thread.body.messages.map((message: { id: string }) => message.id)).toEqual([m.first.id, m.reply.id]);
    expect(thread.body.messages[1]).toMatchObject({ preview: 'Thanks, received.', read: false, labels: [], in_reply_to: firstMessageId });
    expect(thread.body.messages[0]).not.toHaveProperty('text_key');
  });

  it('answers 404 for a thread of another inbox', async () => {
    const viaOther = await call(stack.url, 'GET', `/v1/inboxes/${otherInbox.id}/threads/${m.first.thread_id}`, { key: adminKey });
    expectError(viaOther, 404, 'not_found');
    const missing = await call(stack.url, 'GET', `/v1/inboxes/${inbox.id}/threads/th_01jz0000000000000000000000`, { key: adminKey });
    expect(missing.body.error.message).toBe(viaOther.body.error.message);
  });
});

describe('access', () => {
  it('lets an inbox key read and triage its own inbox', async () => {
    const list = await call(stack.url, 'GET', messagesPath(), { key: inboxKey });
    expect(ids(list)).toEqual([m.other.id, m.reply.id, m.first.id]);
    const message = await call(stack.url, 'GET', `${messagesPath()}/${m.reply.id}`, { key: inboxKey });
    expect(message.body.reply_text).toBe('Thanks, received.');
    expect((await call(stack.url, 'GET', `${messagesPath()}/${m.reply.id}/raw`, { key: inboxKey })).status).toBe(200);
    expect((await call(stack.url, 'GET', `/v1/inboxes/${inbox.id}/threads`, { key: inboxKey })).status).toBe(200);
    expect((await call(stack.url, 'GET', `/v1/inboxes/${inbox.id}/threads/${m.reply.thread_id}`, { key: inboxKey })).status).toBe(200);
    const marked = await call(stack.url, 'PATCH', `${messagesPath()}/${m.reply.id}`, { key: inboxKey, body: { read: true, labels: { add: ['handled'] } } });
    expect(marked.status).toBe(200);
    expect(marked.body).toMatchObject({ read: true, labels: ['handled'] });
  });

  it("gives an inbox key 404 for another inbox's messages and threads, and 403 on team routes", async () => {
    const notMine = [
      ['GET', messagesPath(otherInbox.id)],
      ['GET', `${messagesPath(otherInbox.id)}/${m.elsewhere.id}`],
      ['GET', `${messagesPath(otherInbox.id)}/${m.elsewhere.id}/raw`],
      ['PATCH', `${messagesPath(otherInbox.id)}/${m.elsewhere.id}`],
      ['GET', `/v1/inboxes/${otherInbox.id}/threads`],
      ['GET', `/v1/inboxes/${otherInbox.id}/threads/${m.elsewhere.thread_id}`],
    ] as const;
    const missing = await call(stack.url, 'GET', messagesPath('ib_01jz0000000000000000000000'), { key: inboxKey });
    for (const [method, path] of notMine) {
      const res = await call(stack.url, method, path, { key: inboxKey, body: method === 'PATCH' ? { read: true } : undefined });
      expectError(res, 404, 'not_found', path);
      // Exactly like an inbox that does not exist.
      expect(res.body.error.message, path).toBe(missing.body.error.message);
    }
    // The other inbox's message through this key's own inbox is not found either.
    expectError(await call(stack.url, 'GET', `${messagesPath()}/${m.elsewhere.id}`, { key: inboxKey }), 404, 'not_found');
    expect((await call(stack.url, 'GET', `${messagesPath(otherInbox.id)}/${m.elsewhere.id}`, { key: adminKey })).body.read).toBe(false);
    for (const path of ['/v1/emails', '/v1/inboxes']) expectError(await call(stack.url, 'GET', path, { key: inboxKey }), 403, 'insufficient_permissions', path);
  });

  it("gives another team's key 404 on every route", async () => {
    const paths = [
      messagesPath(),
      `${messagesPath()}/${m.first.id}`,
      `${messagesPath()}/${m.first.id}/raw`,
      `/v1/inboxes/${inbox.id}/threads`,
      `/v1/inboxes/${inbox.id}/threads/${m.first.thread_id}`,
    ];
    for (const path of paths) expectError(await call(stack.url, 'GET', path, { key: otherTeamKey }), 404, 'not_found', path);
    expectError(await call(stack.url, 'PATCH', `${messagesPath()}/${m.first.id}`, { key: otherTeamKey, body: { read: false } }), 404, 'not_found');
  });
});
