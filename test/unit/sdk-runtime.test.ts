/**
 * The SDK's hand-written runtime: retry timing and policy, request building, pagination and webhook verification.
 * The client is driven through a scripted fetch, so each test sees exactly which requests went out.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { Mailroom, MailroomError, OPERATIONS, Page, WebhookVerificationError, webhooks } from '@mailroom/sdk';
import { buildPath, buildQuery } from '../../packages/sdk/src/client.js';
import { backoffMs, isConnectFailure, retryAfterMs } from '../../packages/sdk/src/retry.js';
import { NOT_IN_RESOURCES, sdkPathOf } from '../../scripts/generate-sdk.js';
import { ROUTES } from '../../lib/routes.js';

/** What the scripted fetch does for one request: answer, fail as fetch fails, or never answer (until aborted). */
type Step = { status: number; body?: unknown; headers?: Record<string, string> } | Error | 'hang';

/** A client whose fetch plays `steps` in order (the last one repeats) and records every request. */
function scripted(steps: Step[], options: { maxRetries?: number; timeoutMs?: number } = {}) {
  const requests: Array<{ url: string; method: string; headers: Headers; rawHeaders: Record<string, string> }> = [];
  const fetch: typeof globalThis.fetch = async (input, init = {}) => {
    requests.push({ url: String(input), method: init.method ?? 'GET', headers: new Headers(init.headers), rawHeaders: init.headers as Record<string, string> });
    const step = steps[Math.min(requests.length, steps.length) - 1]!;
    if (step === 'hang') return new Promise<Response>((_, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
    if (step instanceof Error) throw step;
    const text = step.body === undefined ? null : typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
    return new Response(text, { status: step.status, headers: { 'content-type': 'application/json', ...step.headers } });
  };
  return { mailroom: new Mailroom({ apiKey: 'mr_test', baseUrl: 'http://api.test', maxRetries: 1, fetch, ...options }), requests };
}

/** How Node's fetch fails when the socket does: a TypeError with the socket error as its cause. */
const fetchFailure = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
/** An error answer the client need not wait for before retrying. */
const errorAnswer = (status: number, error: Record<string, unknown> = {}): Step => ({
  status,
  headers: { 'retry-after': '0' },
  body: { error: { code: 'injected', message: 'injected', ...error }, request_id: 'req_1' },
});
const OK: Step = { status: 200, body: { id: 'x' } };

describe('retry timing', () => {
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffMs(1, () => 0)).toBe(250);
    expect(backoffMs(1, () => 1)).toBe(500);
    expect(backoffMs(2, () => 1)).toBe(1000);
    expect(backoffMs(10, () => 1)).toBe(8000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('1', now)).toBe(1000);
    expect(retryAfterMs('0.5', now)).toBe(500);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});

describe('request building', () => {
  it('encodes path parameters; a {key+} keeps its slashes', () => {
    expect(buildPath({ path: '/v1/suppressions/{email}' }, { email: 'a+b@example.com' })).toBe('/v1/suppressions/a%2Bb%40example.com');
    expect(buildPath({ path: '/v1/buckets/{slug}/objects/{key+}' }, { slug: 'docs', key: '2026/q3 report.pdf' })).toBe('/v1/buckets/docs/objects/2026/q3%20report.pdf');
    expect(() => buildPath({ path: '/v1/emails/{id}' }, { id: '' })).toThrow(TypeError);
  });

  it('refuses "." and ".." segments, which the URL parser would resolve out of the route', () => {
    const objects = { path: '/v1/buckets/{slug}/objects/{key+}' };
    for (const key of ['..', '.', '../../../api-keys/key_123', 'a/../../b', 'a/./b', 'a/..', './a']) {
      expect(() => buildPath(objects, { slug: 'docs', key }), key).toThrow(TypeError);
    }
    for (const slug of ['..', '.']) expect(() => buildPath(objects, { slug, key: 'a' }), slug).toThrow(TypeError);
  });

  it('keeps every other value, encoded dots included, inside its own segments', () => {
    const objects = { path: '/v1/buckets/{slug}/objects/{key+}' };
    for (const key of ['%2e%2e', '%2E%2e/%2e', '.%2e/x', '...', 'a..b', '..a/.b', 'a\\..\\b', '..%2F..']) {
      for (const slug of ['docs', '../docs', '%2e%2e', 'a/..']) {
        const path = buildPath(objects, { slug, key });
        // The URL parser resolves nothing: the path that goes out is the path that was built, under the route.
        expect(new URL(`http://api.test${path}`).pathname, `${slug} ${key}`).toBe(path);
        expect(path.split('/').slice(0, 5), `${slug} ${key}`).toEqual(['', 'v1', 'buckets', encodeURIComponent(slug), 'objects']);
      }
    }
    expect(buildPath(objects, { slug: 'docs', key: '%2e%2e/a' })).toBe('/v1/buckets/docs/objects/%252e%252e/a');
  });

  it('throws before any request for a traversing path value', async () => {
    const { mailroom, requests } = scripted([OK]);
    await expect(mailroom.buckets.objects.delete('b', '../../../api-keys/key_123')).rejects.toThrow(TypeError);
    await expect(mailroom.emails.get('..')).rejects.toThrow(TypeError);
    expect(requests).toEqual([]);
  });

  it('leaves out empty query values and repeats arrays', () => {
    expect(buildQuery({ limit: 5, cursor: undefined, tag: ['a', 'b'], unread: 'true', since: null })).toBe('?limit=5&tag=a&tag=b&unread=true');
    expect(buildQuery(undefined)).toBe('');
  });

  it('names every route uniquely in the resources', () => {
    const names = ROUTES.map((route) => sdkPathOf(route.id).join('.'));
    expect(new Set(names).size).toBe(names.length);
    expect(sdkPathOf('inbox-sends.reply-all')).toEqual(['inboxes', 'messages', 'replyAll']);
    expect(sdkPathOf('webhooks.rotate-secret')).toEqual(['webhooks', 'rotateSecret']);
    expect(sdkPathOf('identify.upsert')).toEqual(['identify']);
  });

  it('leaves the MCP endpoint and the API reference out of the resources, still callable by id', async () => {
    const { mailroom, requests } = scripted([{ status: 200, body: '# Mailroom', headers: { 'content-type': 'text/plain' } }]);
    expect(mailroom).not.toHaveProperty('mcp');
    expect(mailroom).not.toHaveProperty('reference');
    for (const id of NOT_IN_RESOURCES) expect(OPERATIONS).toHaveProperty([id]);
    expect(await mailroom.request('reference.llms')).toBe('# Mailroom');
    expect(requests.map((r) => r.url)).toEqual(['http://api.test/llms.txt']);
  });
});

describe('idempotency keys', () => {
  it('sends one key per call, reused by its retries', async () => {
    const { mailroom, requests } = scripted([errorAnswer(503), OK]);
    await mailroom.emails.send({ from: 'a@example.com', to: 'b@example.com', subject: 's', text: 't' });
    const keys = requests.map((r) => r.headers.get('idempotency-key'));
    expect(keys).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/), keys[0]]);
  });

  it("sends the caller's key alone, whatever the header's case; the idempotencyKey option wins over a header", async () => {
    const body = { from: 'a@example.com', to: 'b@example.com', subject: 's', text: 't' };
    const { mailroom, requests } = scripted([OK]);
    await mailroom.emails.send(body, { headers: { 'Idempotency-Key': 'from-header', Authorization: 'Bearer mr_other' } });
    await mailroom.emails.send(body, { idempotencyKey: 'from-option', headers: { 'IDEMPOTENCY-KEY': 'from-header' } });
    await mailroom.contacts.update('ct_1', { first_name: 'Ann' }, { headers: { 'Idempotency-Key': 'on-a-patch' } });
    expect(requests.map((r) => r.headers.get('idempotency-key'))).toEqual(['from-header', 'from-option', 'on-a-patch']);
    for (const { rawHeaders } of requests) {
      const names = Object.keys(rawHeaders).map((name) => name.toLowerCase());
      expect(new Set(names).size).toBe(names.length);
    }
    expect(requests[0]!.headers.get('authorization')).toBe('Bearer mr_test');
  });
});

describe('retries', () => {
  const send = (mailroom: Mailroom, options = {}) => mailroom.emails.send({ from: 'a@example.com', to: 'b@example.com', subject: 's', text: 't' }, options);

  it("takes retryable from the error body, else from the status", async () => {
    const refused = scripted([errorAnswer(503, { retryable: false }), OK]);
    await expect(refused.mailroom.emails.get('em_1')).rejects.toMatchObject({ status: 503, retryable: false });
    expect(refused.requests).toHaveLength(1);

    const asked = scripted([errorAnswer(409, { code: 'conflict', retryable: true }), OK]);
    expect(await asked.mailroom.emails.get('em_1')).toEqual({ id: 'x' });
    expect(asked.requests).toHaveLength(2);

    const bare = scripted([{ status: 502, body: 'Bad Gateway', headers: { 'content-type': 'text/plain', 'retry-after': '0' } }, { status: 404, body: { error: { code: 'not_found', message: 'gone' } } }]);
    await expect(bare.mailroom.emails.get('em_1')).rejects.toMatchObject({ status: 404, retryable: false });
    expect(bare.requests).toHaveLength(2);
  });

  it('retries a 409 idempotency_conflict while the first request with the key is in flight, with the same key', async () => {
    const inFlight = errorAnswer(409, { code: 'idempotency_conflict', retryable: true });
    const own = scripted([inFlight, OK]);
    expect(await send(own.mailroom)).toEqual({ id: 'x' });
    const caller = scripted([inFlight, OK]);
    expect(await send(caller.mailroom, { idempotencyKey: 'mine' })).toEqual({ id: 'x' });
    expect(caller.requests.map((r) => r.headers.get('idempotency-key'))).toEqual(['mine', 'mine']);
    expect(own.requests).toHaveLength(2);
    expect(own.requests[1]!.headers.get('idempotency-key')).toBe(own.requests[0]!.headers.get('idempotency-key'));

    const reused = scripted([errorAnswer(409, { code: 'idempotency_conflict', retryable: false }), OK]);
    await expect(send(reused.mailroom, { idempotencyKey: 'mine' })).rejects.toMatchObject({ status: 409, code: 'idempotency_conflict', retryable: false });
    expect(reused.requests).toHaveLength(1);
  });

  it('does not repeat a non-idempotent POST after a 5xx, a timeout or a connection lost mid-request', async () => {
    for (const step of [errorAnswer(503), errorAnswer(500), fetchFailure('UND_ERR_SOCKET'), fetchFailure('ECONNRESET'), new TypeError('Failed to fetch'), 'hang'] as Step[]) {
      const { mailroom, requests } = scripted([step, OK], { timeoutMs: 20 });
      const error = await mailroom.campaigns.launch('cmp_1').catch((caught: unknown) => caught);
      expect(error, String(step)).toBeInstanceOf(MailroomError);
      expect(error, String(step)).toMatchObject({ retryable: true });
      expect(requests, String(step)).toHaveLength(1);
    }
  });

  it('repeats a non-idempotent POST after a 429 or a connection that never opened', async () => {
    const refusedTwice = new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error('v6'), { code: 'ECONNREFUSED' }), Object.assign(new Error('v4'), { code: 'ECONNREFUSED' })]) });
    for (const step of [errorAnswer(429), fetchFailure('ECONNREFUSED'), fetchFailure('ENOTFOUND'), refusedTwice] as Step[]) {
      const { mailroom, requests } = scripted([step, OK]);
      expect(await mailroom.campaigns.launch('cmp_1'), String(step)).toEqual({ id: 'x' });
      expect(requests.map((r) => r.method), String(step)).toEqual(['POST', 'POST']);
    }
  });

  it('repeats GET, PATCH, DELETE and idempotent POSTs after any retryable failure', async () => {
    const calls: Array<(mailroom: Mailroom) => Promise<unknown>> = [
      (mailroom) => mailroom.emails.get('em_1'),
      (mailroom) => mailroom.contacts.update('ct_1', { first_name: 'Ann' }),
      (mailroom) => mailroom.buckets.objects.delete('docs', 'a/b.txt'),
      (mailroom) => send(mailroom),
    ];
    for (const call of calls) {
      const { mailroom, requests } = scripted([errorAnswer(503), OK]);
      expect(await call(mailroom)).toEqual({ id: 'x' });
      expect(requests).toHaveLength(2);
    }
    const lost = scripted([fetchFailure('UND_ERR_SOCKET'), 'hang', OK], { maxRetries: 2, timeoutMs: 20 });
    expect(await send(lost.mailroom)).toEqual({ id: 'x' });
    expect(lost.requests).toHaveLength(3);
  });

  it("reads a connect failure from fetch's error cause", () => {
    expect(isConnectFailure(fetchFailure('ECONNREFUSED'))).toBe(true);
    expect(isConnectFailure(fetchFailure('UND_ERR_CONNECT_TIMEOUT'))).toBe(true);
    expect(isConnectFailure(fetchFailure('ECONNRESET'))).toBe(false);
    expect(isConnectFailure(new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error(), { code: 'ECONNREFUSED' }), Object.assign(new Error(), { code: 'ETIMEDOUT' })]) }))).toBe(false);
    expect(isConnectFailure(new TypeError('Failed to fetch'))).toBe(false);
    expect(isConnectFailure(undefined)).toBe(false);
  });
});

describe('Page', () => {
  const pages: Record<string, { data: number[]; next_cursor: string | null }> = {
    first: { data: [1, 2], next_cursor: 'c2' },
    c2: { data: [], next_cursor: 'c3' },
    c3: { data: [3], next_cursor: null },
  };

  it('awaits to the first page and iterates every item across pages, fetching each page once', async () => {
    const fetched: string[] = [];
    const page = new Page(async (cursor) => {
      fetched.push(cursor ?? 'first');
      return pages[cursor ?? 'first']!;
    });
    expect(fetched).toEqual([]);
    expect(await page).toEqual(pages.first);
    const items: number[] = [];
    for await (const item of page) items.push(item);
    expect(items).toEqual([1, 2, 3]);
    expect(fetched).toEqual(['first', 'c2', 'c3']);
  });
});

describe('webhooks.verify', () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const payload = JSON.stringify({ type: 'email.delivered', timestamp: '2026-01-01T00:00:00.000Z', data: { id: 'em_1' } });
  const signed = (id = 'msg_1', at = new Date()) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, payload),
  });

  it('accepts what Standard Webhooks signs, from Fetch or Node headers', async () => {
    const headers = signed();
    expect(await webhooks.verify(payload, headers, secret)).toEqual(JSON.parse(payload));
    expect(await webhooks.verify(new TextEncoder().encode(payload), new Headers(headers), secret)).toMatchObject({ type: 'email.delivered' });
  });

  it('accepts any of several signatures (a secret rotation signs with both)', async () => {
    const headers = signed();
    const other = await webhooks.sign(payload, `whsec_${randomBytes(24).toString('base64')}`, headers['webhook-id'], Number(headers['webhook-timestamp']));
    expect(await webhooks.verify(payload, { ...headers, 'webhook-signature': `${other} ${headers['webhook-signature']}` }, secret)).toMatchObject({ type: 'email.delivered' });
  });

  it('agrees with Standard Webhooks on its own signatures', async () => {
    const at = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'msg_2', 'webhook-timestamp': String(at), 'webhook-signature': await webhooks.sign(payload, secret, 'msg_2', at) };
    expect(new Webhook(secret).verify(payload, headers)).toEqual(JSON.parse(payload));
  });

  it('refuses a changed body, another secret, a stale timestamp and missing headers', async () => {
    const headers = signed();
    await expect(webhooks.verify(payload.replace('em_1', 'em_2'), headers, secret)).rejects.toThrow(WebhookVerificationError);
    await expect(webhooks.verify(payload, headers, `whsec_${randomBytes(24).toString('base64')}`)).rejects.toThrow(WebhookVerificationError);
    const old = signed('msg_3', new Date(Date.now() - 301_000));
    await expect(webhooks.verify(payload, old, secret)).rejects.toThrow(/tolerance/);
    expect(await webhooks.verify(payload, old, secret, { toleranceSeconds: 600 })).toMatchObject({ type: 'email.delivered' });
    await expect(webhooks.verify(payload, { 'webhook-id': 'msg_1' }, secret)).rejects.toThrow(WebhookVerificationError);
  });
});
