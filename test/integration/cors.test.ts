/** CORS through the local HTTP API: only origins in the configured allowlist get CORS headers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectError, rawCall } from '../support/http.js';

const ALLOWED = 'https://app.example.com';
const preflight = (origin: string, method = 'PATCH') => ({
  origin,
  'access-control-request-method': method,
  'access-control-request-headers': 'authorization,content-type,idempotency-key,if-match',
});
const list = (value: string | null) => (value ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);

describe('with an allowlist', () => {
  let stack: LocalStack;
  let adminKey: string;
  beforeAll(async () => {
    stack = await startLocalStack({ corsOrigins: [ALLOWED], withWorkers: false });
    adminKey = (await createTeam(stack, 'cors')).adminKey;
  });
  afterAll(() => stack.stop());

  it('answers a preflight from an allowed origin with the allowed methods, headers and max age', async () => {
    const res = await rawCall(stack.url, 'OPTIONS', '/v1/api-keys/key_x', { headers: preflight(ALLOWED) });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(list(res.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['get', 'post', 'patch', 'delete']));
    expect(list(res.headers.get('access-control-allow-headers'))).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'if-match']));
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(list(res.headers.get('vary'))).toContain('origin');
  });

  it('gives a preflight from another origin no CORS headers', async () => {
    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.com', 'http://app.example.com', 'null']) {
      const res = await rawCall(stack.url, 'OPTIONS', '/v1/api-keys', { headers: preflight(origin, 'POST') });
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.headers.get('access-control-allow-methods'), origin).toBeNull();
      expect(res.headers.get('access-control-allow-headers'), origin).toBeNull();
    }
  });

  it('lets an allowed origin read the response and its request-id, rate-limit and ETag headers', async () => {
    const res = await call(stack.url, 'GET', '/v1/me', { key: adminKey, headers: { origin: ALLOWED } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const exposed = list(res.headers.get('access-control-expose-headers'));
    expect(exposed).toEqual(expect.arrayContaining(['x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after', 'etag', 'idempotent-replayed']));
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('also lets an allowed origin read error responses', async () => {
    const res = await call(stack.url, 'GET', '/v1/me', { headers: { origin: ALLOWED } });
    expectError(res, 401, 'authentication_required');
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(list(res.headers.get('access-control-expose-headers'))).toContain('x-request-id');
  });

  it('gives an actual request from another origin no CORS headers (the browser then hides the response)', async () => {
    const res = await call(stack.url, 'GET', '/v1/me', { key: adminKey, headers: { origin: 'https://evil.example.com' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-expose-headers')).toBeNull();
  });
});

describe('without an allowlist', () => {
  let stack: LocalStack;
  let adminKey: string;
  beforeAll(async () => {
    stack = await startLocalStack({ withWorkers: false });
    adminKey = (await createTeam(stack, 'nocors')).adminKey;
  });
  afterAll(() => stack.stop());

  it('sends no CORS headers on preflights or requests, from any origin', async () => {
    const pre = await rawCall(stack.url, 'OPTIONS', '/v1/api-keys', { headers: preflight(ALLOWED, 'POST') });
    expect(pre.status).not.toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-methods')).toBeNull();
    const res = await call(stack.url, 'GET', '/v1/me', { key: adminKey, headers: { origin: ALLOWED } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-expose-headers')).toBeNull();
  });
});
