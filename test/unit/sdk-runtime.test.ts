/** The SDK's hand-written runtime: retry timing, request building, pagination and webhook verification. */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { Page, WebhookVerificationError, webhooks } from '@mailroom/sdk';
import { buildPath, buildQuery } from '../../packages/sdk/src/client.js';
import { backoffMs, retryAfterMs } from '../../packages/sdk/src/retry.js';
import { sdkPathOf } from '../../scripts/generate-sdk.js';
import { ROUTES } from '../../lib/routes.js';

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
