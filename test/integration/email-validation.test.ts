/**
 * POST /v1/emails refuses what could inject headers, forge identity, break addresses or blow the size caps:
 * each row is one bad input with the exact status, code and field the envelope must name (400 wrong type or
 * shape, 422 broken rule, 413 too large). Every row changes one thing in an otherwise valid email, and the
 * response must name exactly that field, so a row fails if the field is accepted or blamed on another one.
 * None of the refused requests may leave an email behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL_MAX_BODY_BYTES } from '../../lib/routes.js';
import { MAX_ATTACHMENT_BYTES } from '../../functions/schemas/emails.js';
import { newId } from '../../functions/shared/ids.js';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectError, rawCall } from '../support/http.js';

let stack: LocalStack;
let key: string;

beforeAll(async () => {
  stack = await startLocalStack({ withWorkers: false });
  ({ adminKey: key } = await createTeam(stack, 'email-validation'));
});
afterAll(() => stack.stop());

const valid = () => ({ from: 'Validation <validation@mailroom.test>', to: 'success@simulator.amazonses.com', subject: 'Validation', text: 'Hello' });
/** The valid email with some fields replaced (or removed, with `undefined`). */
const email = (changes: Record<string, unknown>) =>
  Object.fromEntries(Object.entries({ ...valid(), ...changes }).filter(([, value]) => value !== undefined));
const withHeaders = (headers: Record<string, string>) => email({ headers });
const attachment = (changes: Record<string, unknown> = {}) => ({ filename: 'report.txt', content: Buffer.from('hello').toString('base64'), content_type: 'text/plain', ...changes });
const many = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);
const label63 = (c: string) => c.repeat(63);
/** 260 characters, every part within its own limit (local part 64, labels 63): only the 254 total is broken. */
const ADDRESS_260 = `${'a'.repeat(64)}@${label63('b')}.${label63('c')}.${label63('d')}.com`;

type Row = { name: string; body: object; status: 400 | 413 | 422; code: string; field: string };
const bad = (status: Row['status'], code: string) => (name: string, field: string, body: object): Row => ({ name, body, status, code, field });
const shape = bad(400, 'invalid_parameter');
const rule = bad(422, 'validation_error');

const ROWS: Row[] = [
  // Header injection: CR, LF, CRLF and NUL anywhere that ends up in a header line.
  rule('CR in a header value', 'headers.X-Note', withHeaders({ 'X-Note': 'a\rBcc: victim@example.com' })),
  rule('LF in a header value', 'headers.X-Note', withHeaders({ 'X-Note': 'a\nBcc: victim@example.com' })),
  rule('CRLF in a header value', 'headers.X-Note', withHeaders({ 'X-Note': 'a\r\nBcc: victim@example.com' })),
  rule('NUL in a header value', 'headers.X-Note', withHeaders({ 'X-Note': 'a\u0000b' })),
  rule('CRLF in the subject', 'subject', email({ subject: 'Hi\r\nBcc: victim@example.com' })),
  rule('LF in the subject', 'subject', email({ subject: 'Hi\nX-Injected: 1' })),
  rule('NUL in the subject', 'subject', email({ subject: 'Hi\u0000there' })),
  rule('CRLF in a display name ("Name <addr>" form)', 'to', email({ to: 'Ann\r\nBcc: victim@example.com <ann@example.com>' })),
  rule('LF in a display name (object form)', 'to.0.name', email({ to: [{ email: 'ann@example.com', name: 'Ann\nBcc: victim@example.com' }] })),
  rule('CR in the from display name', 'from.name', email({ from: { email: 'validation@mailroom.test', name: 'Mailroom\rBcc: victim@example.com' } })),
  rule('CRLF in an attachment filename', 'attachments.0.filename', email({ attachments: [attachment({ filename: 'a\r\nContent-Type: text/html.txt' })] })),
  rule('NUL in an attachment filename', 'attachments.0.filename', email({ attachments: [attachment({ filename: 'a\u0000.txt' })] })),

  // Headers Mailroom sets itself, in any case.
  rule('reserved header From', 'headers.From', withHeaders({ From: 'ceo@example.com' })),
  rule('reserved header to (lowercase)', 'headers.to', withHeaders({ to: 'victim@example.com' })),
  rule('reserved header BCC (uppercase)', 'headers.BCC', withHeaders({ BCC: 'victim@example.com' })),
  rule('reserved header Message-ID', 'headers.Message-ID', withHeaders({ 'Message-ID': '<forged@example.com>' })),
  rule('reserved header content-type (lowercase)', 'headers.content-type', withHeaders({ 'content-type': 'text/html' })),
  rule('reserved header DKIM-Signature', 'headers.DKIM-Signature', withHeaders({ 'DKIM-Signature': 'v=1; d=example.com' })),
  rule('reserved header x-mailroom-email-id (lowercase)', 'headers.x-mailroom-email-id', withHeaders({ 'x-mailroom-email-id': newId('email') })),
  rule('reserved header X-SES-anything', 'headers.X-SES-Source-Arn', withHeaders({ 'X-SES-Source-Arn': 'arn:aws:ses:x' })),
  rule('reserved header X-Ses-Configuration-Set (mixed case)', 'headers.X-Ses-Configuration-Set', withHeaders({ 'X-Ses-Configuration-Set': 'other' })),
  rule('reserved header List-Unsubscribe', 'headers.List-Unsubscribe', withHeaders({ 'List-Unsubscribe': '<https://evil.example.com>' })),

  // Header names that are not RFC 5322 field names.
  rule('header name with a colon', 'headers.X-Bad:Name', withHeaders({ 'X-Bad:Name': 'x' })),
  rule('header name with a space', 'headers.X Bad', withHeaders({ 'X Bad': 'x' })),
  rule('header name with non-ASCII', 'headers.X-Café', withHeaders({ 'X-Café': 'x' })),

  // Addresses.
  rule('address without @', 'to', email({ to: 'ann.example.com' })),
  rule('address with two @', 'to', email({ to: 'ann@b@example.com' })),
  rule('address with a leading dot', 'to', email({ to: '.ann@example.com' })),
  rule('address with a double dot', 'to', email({ to: 'ann..lee@example.com' })),
  rule('address with a space', 'to', email({ to: 'ann lee@example.com' })),
  rule('address without a TLD', 'to', email({ to: 'ann@localhost' })),
  rule('address over 254 characters (in a list)', 'to.1', email({ to: ['ann@example.com', ADDRESS_260] })),
  rule('address over 254 characters (object form)', 'cc.0.email', email({ cc: [{ email: ADDRESS_260 }] })),
  rule('display name containing <>', 'to', email({ to: 'Ann <x> <ann@example.com>' })),
  rule('bad address in bcc', 'bcc.1', email({ bcc: ['ok@example.com', 'not-an-address'] })),
  rule('bad from address', 'from', email({ from: 'validation@@mailroom.test' })),
  rule('bad reply_to address', 'reply_to', email({ reply_to: 'nobody' })),
  rule('empty recipient list', 'to', email({ to: [] })),

  // Counts and lengths.
  rule('51 recipients across to, cc and bcc', 'to', email({ to: many(20, 't'), cc: many(20, 'c'), bcc: many(11, 'b') })),
  rule('51 recipients in to alone', 'to', email({ to: many(51, 't') })),
  rule('subject over 998 characters', 'subject', email({ subject: 'x'.repeat(999) })),

  // Content.
  rule('no html, text or template_id', 'html', email({ text: undefined })),
  rule('template_id together with html', 'html', email({ text: undefined, subject: undefined, template_id: newId('template'), html: '<p>hi</p>' })),
  rule('variables without template_id', 'variables', email({ variables: { name: 'Ann' } })),
  rule('scheduled_at more than 30 days ahead', 'scheduled_at', email({ scheduled_at: new Date(Date.now() + 31 * 86_400_000).toISOString() })),
  rule('list_unsubscribe with two recipients', 'list_unsubscribe', email({ to: ['ann@example.com', 'bob@example.com'], list_unsubscribe: true })),

  // Attachments.
  rule('attachment content with whitespace', 'attachments.0.content', email({ attachments: [attachment({ content: 'aGVs bG8=' })] })),
  rule('attachment content with a line break', 'attachments.0.content', email({ attachments: [attachment({ content: 'aGVs\r\nbG8=' })] })),
  rule('attachment content with missing padding', 'attachments.0.content', email({ attachments: [attachment({ content: 'aGVsbG8' })] })),
  rule('attachment content with too much padding', 'attachments.0.content', email({ attachments: [attachment({ content: 'aGVsbA===' })] })),
  rule('attachment content in the URL-safe alphabet', 'attachments.0.content', email({ attachments: [attachment({ content: Buffer.from([0xfb, 0xff]).toString('base64url') + '=' })] })),
  rule('11 attachments', 'attachments', email({ attachments: Array.from({ length: 11 }, (_, i) => attachment({ filename: `f${i}.txt` })) })),
  rule('attachment filename with a slash', 'attachments.1.filename', email({ attachments: [attachment(), attachment({ filename: '../../etc/passwd' })] })),
  rule('attachment filename with a backslash', 'attachments.0.filename', email({ attachments: [attachment({ filename: '..\\windows\\win.ini' })] })),
  rule('attachment content_type that is not a MIME type', 'attachments.0.content_type', email({ attachments: [attachment({ content_type: 'pdf' })] })),
  rule('attachment content_type with a header break', 'attachments.0.content_type', email({ attachments: [attachment({ content_type: 'text/plain\r\nX-Evil: 1' })] })),

  // Tags.
  rule('tag name with invalid characters', 'tags.utm source', email({ tags: { 'utm source': 'x' } })),
  rule('tag value with invalid characters', 'tags.campaign', email({ tags: { campaign: 'spring sale!' } })),
  rule('reserved mailroom_ tag', 'tags.mailroom_email_id', email({ tags: { mailroom_email_id: 'x' } })),
  rule('11 tags', 'tags', email({ tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) })),

  // Wrong types and shape: 400.
  shape('unknown top-level field', 'priority', email({ priority: 'high' })),
  shape('to as a number', 'to', email({ to: 42 })),
  shape('subject as an array', 'subject', email({ subject: ['Hi'] })),
  shape('header value as a number', 'headers.X-Count', withHeaders({ 'X-Count': 3 as unknown as string })),
  shape('attachments as a string', 'attachments', email({ attachments: 'report.pdf' })),
  shape('unknown attachment field', 'attachments.0.path', email({ attachments: [attachment({ path: '/etc/passwd' })] })),
  shape('tracking.opens as a string', 'tracking.opens', email({ tracking: { opens: 'yes' } })),
];

describe('POST /v1/emails refuses bad input with the right status, code and field', () => {
  it('has at least 30 cases, each with its own name', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(ROWS.map((r) => r.name)).size).toBe(ROWS.length);
  });

  it.each(ROWS.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const res = await call(stack.url, 'POST', '/v1/emails', { key, body: row.body });
    expectError(res, row.status, row.code, row.name);
    expect(res.body.error.param, row.name).toBe(row.field);
    // Exactly the one field this row broke: nothing else is blamed, nothing is missed.
    expect(res.body.error.errors.map((e: { field: string }) => e.field), row.name).toEqual([row.field]);
  });

  it('the email every row starts from is accepted (by another team, so this team’s list stays empty)', async () => {
    const { adminKey } = await createTeam(stack, 'email-validation-ok');
    const full = email({ headers: { 'X-Campaign': 'spring' }, tags: { campaign: 'spring' }, attachments: [attachment()] });
    for (const body of [valid(), full]) {
      const res = await call(stack.url, 'POST', '/v1/emails', { key: adminKey, body });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    }
  });

  it('a from address outside the team’s verified domains → 422 on from', async () => {
    const res = await call(stack.url, 'POST', '/v1/emails', { key, body: email({ from: 'ceo@not-verified.example.com' }) });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.param).toBe('from');
    expect(res.body.error.errors).toEqual([expect.objectContaining({ field: 'from', code: 'domain_not_verified' })]);
  });

  it('attachments whose decoded total is over the cap → 413 payload_too_large on attachments', async () => {
    // Two attachments, each under the cap, together one byte over it; the request itself is under the body cap.
    const half = Math.floor(MAX_ATTACHMENT_BYTES / 2) + 1;
    const body = JSON.stringify(email({ attachments: [1, 2].map((i) => attachment({ filename: `part${i}.bin`, content: Buffer.alloc(half, i).toString('base64') })) }));
    expect(Buffer.byteLength(body)).toBeLessThan(EMAIL_MAX_BODY_BYTES);
    const res = await rawCall(stack.url, 'POST', '/v1/emails', { key, body });
    expectError(res, 413, 'payload_too_large');
    expect(res.body.error.param).toBe('attachments');
    expect(res.body.error.message).toContain(String(MAX_ATTACHMENT_BYTES));
  });

  it('a body over the route’s byte cap → 413 payload_too_large, counted in UTF-8 bytes', async () => {
    // 2-byte characters: under the cap in characters, over it in bytes.
    const body = JSON.stringify(email({ html: `<p>${'é'.repeat(Math.ceil(EMAIL_MAX_BODY_BYTES / 2))}</p>` }));
    expect(body.length).toBeLessThan(EMAIL_MAX_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBeGreaterThan(EMAIL_MAX_BODY_BYTES);
    const res = await rawCall(stack.url, 'POST', '/v1/emails', { key, body });
    expectError(res, 413, 'payload_too_large');
    expect(res.body.error.message).toContain(String(EMAIL_MAX_BODY_BYTES));
  });

  it('batch: one bad email refuses the whole batch, naming the email by index', async () => {
    const res = await call(stack.url, 'POST', '/v1/emails/batch', { key, body: [valid(), withHeaders({ Bcc: 'victim@example.com' })] });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.errors.map((e: { field: string }) => e.field)).toEqual(['1.headers.Bcc']);
  });

  it('none of the refused requests created an email', async () => {
    const list = await call(stack.url, 'GET', '/v1/emails?limit=100', { key });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ data: [], next_cursor: null });
  });
});
