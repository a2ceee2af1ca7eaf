/**
 * Sending features beyond a single send, on the local stack: batch sends with per-email outcomes, per-team
 * quotas set by the root key (429 quota_exceeded, counted atomically, refused requests cost nothing), the
 * suppression list API, RFC 8058 one-click unsubscribe, template sends, Idempotency-Key and tracking defaults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsubscribeToken } from '../../functions/domain/unsubscribe.js';
import { newId } from '../../functions/shared/ids.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectError, expectEventually, rawCall } from '../support/http.js';

let stack: LocalStack;
const FROM = 'Features <features@mailroom.test>';
const SIM = (local: string) => `${local}@simulator.amazonses.com`;
let unique = 0;
/** An address no other test (or run) uses. */
const fresh = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${unique++}@example.com`;

beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack.stop());

const send = (key: string, body: object, headers: Record<string, string> = {}) => call(stack.url, 'POST', '/v1/emails', { key, body, headers });
const listEmails = async (key: string) => (await call(stack.url, 'GET', '/v1/emails?limit=100', { key })).body.data as { id: string }[];
const suppress = (key: string, email: string) => call(stack.url, 'POST', '/v1/suppressions', { key, body: { email } });
const listSuppressions = async (key: string) => (await call(stack.url, 'GET', '/v1/suppressions?limit=100', { key })).body.data as { email: string; reason: string; source_email_id: string | null; created_at: string }[];
const setQuota = (teamId: string, body: object) => call(stack.url, 'PATCH', `/v1/teams/${teamId}`, { key: stack.rootKey, body });

describe('POST /v1/emails/batch', () => {
  it('accepts each email on its own: one whose recipients are all suppressed is an error entry, the others are queued', async () => {
    const { adminKey: key } = await createTeam(stack, 'batch');
    const blocked = fresh('blocked');
    expect((await suppress(key, blocked)).status).toBe(201);
    const res = await call(stack.url, 'POST', '/v1/emails/batch', {
      key,
      body: [
        { from: FROM, to: fresh('first'), subject: 'Batch 1', text: 'one' },
        { from: FROM, to: blocked, subject: 'Batch 2', text: 'two' },
        { from: FROM, to: [fresh('third'), blocked], subject: 'Batch 3', text: 'three' },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const [first, second, third] = res.body.data;
    expect(res.body.data).toHaveLength(3);
    expect(first).toMatchObject({ id: expect.stringMatching(/^em_/), status: 'queued', subject: 'Batch 1' });
    expect(second).toEqual({
      id: null,
      error: expect.objectContaining({
        code: 'all_recipients_suppressed',
        param: 'to',
        retryable: false,
        recipients: [{ email: blocked, type: 'to', status: 'suppressed', reason: 'suppressed' }],
      }),
      request_id: expect.stringMatching(/^req_/),
    });
    expect(third).toMatchObject({ id: expect.stringMatching(/^em_/), status: 'queued' });
    expect(third.recipients).toEqual([
      expect.objectContaining({ type: 'to', status: 'queued', reason: null }),
      { email: blocked, type: 'to', status: 'suppressed', reason: 'suppressed' },
    ]);
    // Only the accepted emails exist.
    expect((await listEmails(key)).map((e) => e.id).sort()).toEqual([first.id, third.id].sort());
  });

  it('an email the team may not send (from domain, unknown template) refuses the batch and is named by index', async () => {
    const { adminKey: key } = await createTeam(stack, 'batch-index');
    const ok = { from: FROM, to: fresh('ok'), subject: 'Fine', text: 'x' };
    const badFrom = await call(stack.url, 'POST', '/v1/emails/batch', { key, body: [ok, ok, { ...ok, from: 'x@not-verified.example.com' }] });
    expectError(badFrom, 422, 'validation_error');
    expect(badFrom.body.error.param).toBe('2.from');
    expect(badFrom.body.error.errors).toEqual([expect.objectContaining({ field: '2.from', code: 'domain_not_verified' })]);
    const badTemplate = await call(stack.url, 'POST', '/v1/emails/batch', { key, body: [{ ...ok, text: undefined, template_id: newId('template') }, ok] });
    expectError(badTemplate, 422, 'validation_error');
    expect(badTemplate.body.error.errors).toEqual([expect.objectContaining({ field: '0.template_id', code: 'not_found' })]);
    expect(await listEmails(key)).toEqual([]);
  });

  it('refuses more than 100 emails, and an empty batch, without creating any', async () => {
    const { adminKey: key } = await createTeam(stack, 'batch-cap');
    const email = { from: FROM, to: fresh('cap'), subject: 'Cap', text: 'x' };
    const tooMany = await call(stack.url, 'POST', '/v1/emails/batch', { key, body: Array.from({ length: 101 }, () => email) });
    expectError(tooMany, 422, 'validation_error');
    expect(tooMany.body.error.errors).toEqual([expect.objectContaining({ code: 'too_big' })]);
    expectError(await call(stack.url, 'POST', '/v1/emails/batch', { key, body: [] }), 422, 'validation_error');
    expectError(await call(stack.url, 'POST', '/v1/emails/batch', { key, body: email }), 400, 'invalid_parameter');
    expect(await listEmails(key)).toEqual([]);
    // Exactly 100 is fine.
    const hundred = await call(stack.url, 'POST', '/v1/emails/batch', { key, body: Array.from({ length: 100 }, (_, i) => ({ ...email, subject: `Cap ${i}` })) });
    expect(hundred.status, JSON.stringify(hundred.body).slice(0, 500)).toBe(202);
    expect(hundred.body.data).toHaveLength(100);
  });
});

describe('send quotas', () => {
  const nextUtcMidnight = () => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
  };
  const nextUtcMonth = () => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
  };
  const to = (n: number) => Array.from({ length: n }, () => fresh('quota'));

  function expectQuotaExceeded(res: Awaited<ReturnType<typeof send>>, resetsAt: string, period: 'daily' | 'monthly') {
    expectError(res, 429, 'quota_exceeded');
    expect(res.body.error.resets_at).toBe(resetsAt);
    expect(res.body.error.message).toContain(period);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter > 0).toBe(true);
    // Retry-After points at the reset (within the few seconds this test takes).
    expect(Math.abs(Date.now() + retryAfter * 1000 - Date.parse(resetsAt))).toBeLessThan(5_000);
  }

  for (const [period, field, resetsAt] of [
    ['daily', 'daily_quota', nextUtcMidnight],
    ['monthly', 'monthly_quota', nextUtcMonth],
  ] as const) {
    it(`${field}: the root key sets it; going over → 429 quota_exceeded with Retry-After and resets_at; refused requests consume nothing`, async () => {
      const { team, adminKey: key } = await createTeam(stack, `quota-${period}`);
      const patched = await setQuota(team.id, { [field]: 3 });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body[field]).toBe(3);
      // A team key may not raise its own quota.
      expectError(await call(stack.url, 'PATCH', `/v1/teams/${team.id}`, { key, body: { [field]: 1000 } }), 403, 'insufficient_permissions');

      // Requests refused for other reasons do not count.
      expectError(await send(key, { from: 'x@not-verified.example.com', to: to(3), subject: 'No', text: 'x' }), 422, 'validation_error');
      expectError(await send(key, { from: FROM, to: to(3), subject: 'No\r\nBcc: x@example.com', text: 'x' }), 422, 'validation_error');
      // A batch is admitted whole or not at all; 2 + 2 is more than the whole quota of 3, which waiting
      // cannot fix: 422, not 429.
      const batch = await call(stack.url, 'POST', '/v1/emails/batch', { key, body: [0, 1].map(() => ({ from: FROM, to: to(2), subject: 'Batch', text: 'x' })) });
      expectError(batch, 422, 'validation_error');
      expect(batch.body.error.errors[0]).toMatchObject({ field: 'to', code: 'quota_too_small' });
      expect(await listEmails(key)).toEqual([]);

      expect((await send(key, { from: FROM, to: to(2), subject: 'First', text: 'x' })).status).toBe(202);
      const over = await send(key, { from: FROM, to: to(2), subject: 'Second', text: 'x' });
      expectQuotaExceeded(over, resetsAt(), period);
      // The refused send consumed nothing: one more recipient still fits (2 + 1 = 3), then none does.
      expect((await send(key, { from: FROM, to: to(1), subject: 'Third', text: 'x' })).status).toBe(202);
      expectQuotaExceeded(await send(key, { from: FROM, to: to(1), subject: 'Fourth', text: 'x' }), resetsAt(), period);
      expect(await listEmails(key)).toHaveLength(2);

      // Clearing the team's quota (null: the deployment default, unlimited here) lets it send again.
      expect((await setQuota(team.id, { [field]: null })).body[field]).toBeNull();
      expect((await send(key, { from: FROM, to: to(1), subject: 'Fifth', text: 'x' })).status).toBe(202);
    });
  }

  it('suppressed recipients do not count against the quota', async () => {
    const { team, adminKey: key } = await createTeam(stack, 'quota-suppressed');
    expect((await setQuota(team.id, { daily_quota: 1 })).status).toBe(200);
    const blocked = fresh('blocked');
    await suppress(key, blocked);
    const res = await send(key, { from: FROM, to: [blocked, fresh('ok')], subject: 'One counts', text: 'x' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expectError(await send(key, { from: FROM, to: fresh('ok'), subject: 'Over', text: 'x' }), 429, 'quota_exceeded');
  });
});

describe('suppressions API', () => {
  it('adds with reason manual (201), again returns the same entry (200), lists newest first, deletes once (200, then 404)', async () => {
    const { adminKey: key } = await createTeam(stack, 'suppressions');
    const first = fresh('first');
    const added = await suppress(key, first.toUpperCase());
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ email: first, reason: 'manual', source_email_id: null, created_at: expect.any(String) });
    const again = await suppress(key, first);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(added.body);

    const second = fresh('second');
    expect((await suppress(key, second)).status).toBe(201);
    expect((await listSuppressions(key)).map((s) => s.email)).toEqual([second, first]);
    const page = await call(stack.url, 'GET', '/v1/suppressions?limit=1', { key });
    expect(page.body.data.map((s: { email: string }) => s.email)).toEqual([second]);
    const next = await call(stack.url, 'GET', `/v1/suppressions?limit=1&cursor=${encodeURIComponent(page.body.next_cursor)}`, { key });
    expect(next.body.data.map((s: { email: string }) => s.email)).toEqual([first]);

    // The path address is matched case-insensitively, like the stored (lowercased) one.
    const deleted = await call(stack.url, 'DELETE', `/v1/suppressions/${encodeURIComponent(first.toUpperCase())}`, { key });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body).toEqual({ email: first, deleted: true });
    expectError(await call(stack.url, 'DELETE', `/v1/suppressions/${encodeURIComponent(first)}`, { key }), 404, 'not_found');
    expect((await listSuppressions(key)).map((s) => s.email)).toEqual([second]);
  });

  it('an invalid address in the path → 404; an invalid one in the body → 422 on email', async () => {
    const { adminKey: key } = await createTeam(stack, 'suppressions-bad');
    for (const path of ['not-an-email', 'a%40b', '%2E%2E%2Fetc']) {
      expectError(await call(stack.url, 'DELETE', `/v1/suppressions/${path}`, { key }), 404, 'not_found', path);
    }
    const res = await suppress(key, 'ann@@example.com');
    expectError(res, 422, 'validation_error');
    expect(res.body.error.param).toBe('email');
  });

  it('is per team: another team neither sees nor deletes an entry, and its sends are not affected', async () => {
    const [a, b] = await Promise.all([createTeam(stack, 'suppressions-a'), createTeam(stack, 'suppressions-b')]);
    const address = fresh('isolated');
    expect((await suppress(a.adminKey, address)).status).toBe(201);
    expect(await listSuppressions(b.adminKey)).toEqual([]);
    expectError(await call(stack.url, 'DELETE', `/v1/suppressions/${encodeURIComponent(address)}`, { key: b.adminKey }), 404, 'not_found');
    expect((await listSuppressions(a.adminKey)).map((s) => s.email)).toEqual([address]);
    // B adding the same address creates B's own entry (201), not a sight of A's.
    expect((await suppress(b.adminKey, address)).status).toBe(201);

    const fromB = await send(b.adminKey, { from: FROM, to: [address, fresh('other')], subject: 'B', text: 'x' });
    expect(fromB.body.recipients[0]).toMatchObject({ email: address, status: 'suppressed' });
    expect((await call(stack.url, 'DELETE', `/v1/suppressions/${encodeURIComponent(address)}`, { key: b.adminKey })).status).toBe(200);
    const fromBAgain = await send(b.adminKey, { from: FROM, to: address, subject: 'B again', text: 'x' });
    expect(fromBAgain.status).toBe(202);
    // A's entry survived B's delete.
    expectError(await send(a.adminKey, { from: FROM, to: address, subject: 'A', text: 'x' }), 422, 'all_recipients_suppressed');
  });
});

describe('one-click unsubscribe (RFC 8058)', () => {
  const oneClick = (token: string) =>
    rawCall(stack.url, 'POST', `/v1/unsubscribe/${token}`, { body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  it('a signed link suppresses the recipient for the team, without a key; tampered links are 404; repeating is harmless', async () => {
    const [{ team, adminKey: key }, other] = await Promise.all([createTeam(stack, 'unsubscribe'), createTeam(stack, 'unsubscribe-other')]);
    const recipient = SIM('success');
    const sent = await send(key, { from: FROM, to: recipient, subject: 'Newsletter', text: 'news', list_unsubscribe: true });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    // The token is never exposed by the API; the sender derives it the same way for the List-Unsubscribe header.
    const token = await unsubscribeToken({ team_id: team.id, email: recipient, email_id: sent.body.id });

    const [payload, signature] = token.split('.') as [string, string];
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
    const otherPayload = Buffer.from(JSON.stringify([team.id, fresh('victim'), sent.body.id])).toString('base64url');
    for (const [what, bad] of [
      ['a changed signature', `${payload}.${flipped}`],
      ['another address under the same signature', `${otherPayload}.${signature}`],
      ['no signature', `${payload}.`],
      ['the payload alone', payload],
    ] as const) {
      expectError(await oneClick(bad), 404, 'not_found', what);
    }
    expect(await listSuppressions(key)).toEqual([]);

    const res = await oneClick(token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ unsubscribed: true, email: recipient });
    const entries = await listSuppressions(key);
    expect(entries).toEqual([{ email: recipient, reason: 'unsubscribe', source_email_id: sent.body.id, created_at: expect.any(String) }]);

    const again = await oneClick(token);
    expect(again.status).toBe(200);
    expect(await listSuppressions(key)).toEqual(entries);

    // Only this team: another team can still send to the address; this team's next send drops it.
    expect(await listSuppressions(other.adminKey)).toEqual([]);
    expectError(await send(key, { from: FROM, to: recipient, subject: 'After', text: 'x' }), 422, 'all_recipients_suppressed');
  });

  it('takes a form body only: over the route’s 1 KiB cap → 413, JSON or text → 400 on body, before the token is checked', async () => {
    const path = '/v1/unsubscribe/abcdefghij.klmnop';
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expectError(await rawCall(stack.url, 'POST', path, { body: `List-Unsubscribe=One-Click&pad=${'x'.repeat(1024)}`, headers: form }), 413, 'payload_too_large');
    for (const [type, body] of [['application/json', '{"List-Unsubscribe":"One-Click"}'], ['text/plain', 'List-Unsubscribe=One-Click']]) {
      const res = await rawCall(stack.url, 'POST', path, { body, headers: { 'content-type': type } });
      expectError(res, 400, 'invalid_parameter', type);
      expect(res.body.error.param).toBe('body');
    }
    // Well-formed requests reach the signature check; an empty body (some clients send none) is tolerated.
    expectError(await rawCall(stack.url, 'POST', path, { body: 'List-Unsubscribe=One-Click', headers: form }), 404, 'not_found');
    expectError(await rawCall(stack.url, 'POST', path), 404, 'not_found');
  });
});

describe('template sends', () => {
  it('renders the template with the variables into the mail SES receives', async () => {
    const { adminKey: key } = await createTeam(stack, 'template-send');
    const created = await call(stack.url, 'POST', '/v1/templates', {
      key,
      body: { name: 'Welcome', subject: 'Hi {{ name }}', html: '<p>Hello {{ name }}</p>', variables: [{ name: 'name', default: 'there' }] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const name = `Ann${Date.now()}`;
    const res = await send(key, { from: FROM, to: SIM('success'), template_id: created.body.id, variables: { name } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ subject: `Hi ${name}`, template: { id: created.body.id, version: 1 } });

    const mail = await expectEventually(async () => {
      const store = (await (await fetch(`${endpoints().ses}/store`)).json()) as { emails: { subject: string; body: { html?: string; text?: string } }[] };
      const found = store.emails.find((e) => e.subject === `Hi ${name}`);
      expect(found).toBeDefined();
      return found!;
    });
    expect(mail.body.html).toContain(`<p>Hello ${name}</p>`);
    expect(mail.body.text).toContain(`Hello ${name}`);

    // A missing variable falls back to its default; an explicit subject overrides the template's.
    const fallback = await send(key, { from: FROM, to: SIM('success'), template_id: created.body.id, subject: `Custom ${name}` });
    expect(fallback.status).toBe(202);
    expect(fallback.body.subject).toBe(`Custom ${name}`);
  });

  it('a template_id the team does not have → 422 on template_id, nothing created', async () => {
    const [a, b] = await Promise.all([createTeam(stack, 'template-a'), createTeam(stack, 'template-b')]);
    const created = await call(stack.url, 'POST', '/v1/templates', { key: a.adminKey, body: { name: 'Mine', subject: 'Hi', html: '<p>Hi</p>' } });
    expect(created.status).toBe(201);
    const res = await send(b.adminKey, { from: FROM, to: SIM('success'), template_id: created.body.id });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.param).toBe('template_id');
    expect(await listEmails(b.adminKey)).toEqual([]);
  });
});

describe('Idempotency-Key on POST /v1/emails', () => {
  it('the same key and body twice → one email, the second response replayed; another body → 409', async () => {
    const { adminKey: key } = await createTeam(stack, 'idempotent-send');
    const body = { from: FROM, to: fresh('once'), subject: 'Once', text: 'only once' };
    const headers = { 'Idempotency-Key': `send-${Date.now()}` };
    const first = await send(key, body, headers);
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const second = await send(key, body, headers);
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    expectError(await send(key, { ...body, subject: 'Different' }, headers), 409, 'idempotency_conflict');
    expect((await listEmails(key)).map((e) => e.id)).toEqual([first.body.id]);
  });
});

describe('tracking', () => {
  it('opens and clicks default to false; each can be turned on alone', async () => {
    const { adminKey: key } = await createTeam(stack, 'tracking');
    const plain = await send(key, { from: FROM, to: fresh('t'), subject: 'Plain', text: 'x' });
    expect(plain.body.tracking).toEqual({ opens: false, clicks: false });
    const opens = await send(key, { from: FROM, to: fresh('t'), subject: 'Opens', html: '<p>x</p>', tracking: { opens: true } });
    expect(opens.body.tracking).toEqual({ opens: true, clicks: false });
    const fetched = await call(stack.url, 'GET', `/v1/emails/${opens.body.id}`, { key });
    expect(fetched.body.tracking).toEqual({ opens: true, clicks: false });
  });
});

describe('POST /v1/emails/{id}/cancel', () => {
  it("another team's key → 404 and the email stays scheduled; a read key → 403", async () => {
    const [a, b] = await Promise.all([createTeam(stack, 'cancel-a'), createTeam(stack, 'cancel-b')]);
    const at = new Date(Date.now() + 3600_000).toISOString();
    const scheduled = await send(a.adminKey, { from: FROM, to: fresh('later'), subject: 'Later', text: 'x', scheduled_at: at });
    expect(scheduled.body.status).toBe('scheduled');
    expectError(await call(stack.url, 'POST', `/v1/emails/${scheduled.body.id}/cancel`, { key: b.adminKey }), 404, 'not_found');
    const reader = await call(stack.url, 'POST', '/v1/api-keys', { key: a.adminKey, body: { name: 'reader', scopes: ['read'] } });
    expectError(await call(stack.url, 'POST', `/v1/emails/${scheduled.body.id}/cancel`, { key: reader.body.key }), 403, 'insufficient_permissions');
    expect((await call(stack.url, 'GET', `/v1/emails/${scheduled.body.id}`, { key: a.adminKey })).body.status).toBe('scheduled');
    const canceled = await call(stack.url, 'POST', `/v1/emails/${scheduled.body.id}/cancel`, { key: a.adminKey });
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
  });
});
