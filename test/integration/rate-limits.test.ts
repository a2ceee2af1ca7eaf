/**
 * Fixed-window rate limits per key and per team, through the local HTTP API. The limits are read from
 * process.env per request, so this worker sets them for itself (each test file runs in its own process).
 * The window is one hour here so a burst never straddles a window boundary.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, createTeam, startLocalStack, type ApiResponse, type LocalStack } from '../support/local-stack.js';
import { expectError, sleep } from '../support/http.js';
import { captureLogs } from '../support/log-capture.js';

const WINDOW_SECONDS = 3600;
const saved = { window: process.env.RATE_LIMIT_WINDOW_SECONDS, perTeam: process.env.RATE_LIMIT_PER_TEAM };
let stack: LocalStack;

beforeAll(async () => {
  process.env.RATE_LIMIT_WINDOW_SECONDS = String(WINDOW_SECONDS);
  stack = await startLocalStack({ withWorkers: false });
});
afterAll(async () => {
  await stack.stop();
  for (const [name, value] of [['RATE_LIMIT_WINDOW_SECONDS', saved.window], ['RATE_LIMIT_PER_TEAM', saved.perTeam]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Starts a test at least 10 s before the window ends, so all its requests count in one window. */
beforeEach(async () => {
  const left = WINDOW_SECONDS - (Math.floor(Date.now() / 1000) % WINDOW_SECONDS);
  if (left < 10) await sleep(left * 1000 + 200);
});

const limitHeaders = (res: ApiResponse) => ({
  limit: Number(res.headers.get('x-ratelimit-limit')),
  remaining: Number(res.headers.get('x-ratelimit-remaining')),
  reset: Number(res.headers.get('x-ratelimit-reset')),
});
const windowEnd = () => Math.floor(Date.now() / 1000 / WINDOW_SECONDS) * WINDOW_SECONDS + WINDOW_SECONDS;

function expectRefused(res: ApiResponse, limit: number) {
  expectError(res, 429, 'rate_limit_exceeded', '', true);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(limitHeaders(res)).toEqual({ limit, remaining: 0, reset: windowEnd() });
  // Retry-After points at the window's end.
  expect(Math.abs(Math.floor(Date.now() / 1000) + retryAfter - windowEnd())).toBeLessThanOrEqual(2);
}

async function keyWith(adminKey: string, body: object) {
  const res = await call(stack.url, 'POST', '/v1/api-keys', { key: adminKey, body });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string };
}

describe('per-key limit', () => {
  it('admits exactly N of N+k concurrent requests and refuses k with 429 and Retry-After', async () => {
    const { adminKey } = await createTeam(stack, 'rl-key');
    const N = 5;
    const k = 4;
    const limited = await keyWith(adminKey, { name: 'limited', scopes: ['read'], rate_limit: N });
    const responses = await Promise.all(Array.from({ length: N + k }, () => call(stack.url, 'GET', '/v1/me', { key: limited.key })));

    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 429);
    expect(ok).toHaveLength(N);
    expect(refused).toHaveLength(k);
    for (const res of refused) expectRefused(res, N);
    // Each admitted request saw its own count: remaining N-1 … 0, once each.
    expect(ok.map((r) => limitHeaders(r).remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const res of ok) expect(limitHeaders(res)).toMatchObject({ limit: N, reset: windowEnd() });

    // Another key of the same team is not affected.
    const other = await call(stack.url, 'GET', '/v1/me', { key: adminKey });
    expect(other.status).toBe(200);
    expect(limitHeaders(other).limit).toBeGreaterThan(N);
  });

  it('applies a new rate_limit set with PATCH from the next request', async () => {
    const { adminKey } = await createTeam(stack, 'rl-patch');
    const key = await keyWith(adminKey, { name: 'patched', scopes: ['read'], rate_limit: 2 });
    const statuses = async (count: number) => {
      const out: number[] = [];
      for (let i = 0; i < count; i++) out.push((await call(stack.url, 'GET', '/v1/me', { key: key.key })).status);
      return out;
    };
    expect(await statuses(3)).toEqual([200, 200, 429]);
    const patched = await call(stack.url, 'PATCH', `/v1/api-keys/${key.id}`, { key: adminKey, body: { rate_limit: 4 } });
    expect(patched.body.rate_limit).toBe(4);
    // The refused request was not counted: 2 used, 2 more admitted under the new limit.
    const after = await call(stack.url, 'GET', '/v1/me', { key: key.key });
    expect(after.status).toBe(200);
    expect(limitHeaders(after)).toMatchObject({ limit: 4, remaining: 1 });
    expect(await statuses(2)).toEqual([200, 429]);
  });

  it('counts a key once when its limit changed since this process last authenticated it', async () => {
    const { adminKey } = await createTeam(stack, 'rl-relimit');
    const key = await keyWith(adminKey, { name: 'relimited', scopes: ['read'], rate_limit: 5 });
    expect(limitHeaders(await call(stack.url, 'GET', '/v1/me', { key: key.key }))).toMatchObject({ limit: 5, remaining: 4 });
    expect((await call(stack.url, 'PATCH', `/v1/api-keys/${key.id}`, { key: adminKey, body: { rate_limit: 10 } })).status).toBe(200);
    // The process still remembers the old limit and counts against it while it reads the key; that count is
    // taken back and the request counted again under the new limit, so it is charged once.
    expect(limitHeaders(await call(stack.url, 'GET', '/v1/me', { key: key.key }))).toMatchObject({ limit: 10, remaining: 8 });
    expect(limitHeaders(await call(stack.url, 'GET', '/v1/me', { key: key.key }))).toMatchObject({ limit: 10, remaining: 7 });
  });

  it('puts the X-RateLimit headers on successes and on errors after authentication', async () => {
    const { adminKey } = await createTeam(stack, 'rl-headers');
    const key = await keyWith(adminKey, { name: 'headers', scopes: ['admin'], rate_limit: 10 });
    const responses = [
      await call(stack.url, 'GET', '/v1/me', { key: key.key }),
      await call(stack.url, 'GET', '/v1/api-keys/key_00000000000000000000000000', { key: key.key }),
      await call(stack.url, 'POST', '/v1/api-keys', { key: key.key, body: { name: '' } }),
      await call(stack.url, 'POST', '/v1/api-keys', { key: key.key, body: '{bad json' }),
      await call(stack.url, 'GET', '/v1/api-keys/not-a-key-id', { key: key.key }),
      await call(stack.url, 'GET', '/v1/teams', { key: key.key }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 404, 422, 400, 404, 403]);
    expect(responses.map((r) => limitHeaders(r))).toEqual([9, 8, 7, 6, 5, 4].map((remaining) => ({ limit: 10, remaining, reset: windowEnd() })));
  });
});

describe('per-team limit (RATE_LIMIT_PER_TEAM)', () => {
  afterAll(() => {
    if (saved.perTeam === undefined) delete process.env.RATE_LIMIT_PER_TEAM;
    else process.env.RATE_LIMIT_PER_TEAM = saved.perTeam;
  });

  it('admits exactly M requests across all of a team’s keys, and leaves other teams alone', async () => {
    const [team, other] = await Promise.all([createTeam(stack, 'rl-team'), createTeam(stack, 'rl-other')]);
    const second = await keyWith(team.adminKey, { name: 'second', scopes: ['read'] });
    // The team has made exactly one request so far in this window (creating `second`).
    const M = 6;
    process.env.RATE_LIMIT_PER_TEAM = String(1 + M);
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(stack.url, 'GET', '/v1/me', { key: i % 2 ? second.key : team.adminKey })),
    );
    expect(burst.filter((r) => r.status === 200)).toHaveLength(M);
    const refused = burst.filter((r) => r.status === 429);
    expect(refused).toHaveLength(10 - M);
    for (const res of refused) expectRefused(res, 1 + M);
    // The binding window is the team's: the last admitted request saw 0 remaining of the team limit.
    expect(burst.filter((r) => r.status === 200).map((r) => limitHeaders(r).remaining).sort()).toEqual([0, 1, 2, 3, 4, 5]);

    // Another team has its own counter.
    expect((await call(stack.url, 'GET', '/v1/me', { key: other.adminKey })).status).toBe(200);
  });

  it('refunds the key counter when the team limit refuses a request', async () => {
    const { adminKey } = await createTeam(stack, 'rl-refund');
    const key = await keyWith(adminKey, { name: 'refund', scopes: ['read'], rate_limit: 3 });
    // One team request so far (creating `key`); allow one more, and use it up with the admin key.
    process.env.RATE_LIMIT_PER_TEAM = '2';
    expect((await call(stack.url, 'GET', '/v1/me', { key: adminKey })).status).toBe(200);
    for (let i = 0; i < 3; i++) expectRefused(await call(stack.url, 'GET', '/v1/me', { key: key.key }), 2);

    // Once the team has room again the key still has its full 3: the refused requests were given back.
    process.env.RATE_LIMIT_PER_TEAM = '1000';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(stack.url, 'GET', '/v1/me', { key: key.key })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('a key this process authenticated before (counted while the key is read)', () => {
  let logs: ReturnType<typeof captureLogs>;
  beforeAll(() => {
    logs = captureLogs();
  });
  afterAll(() => {
    logs.restore();
    if (saved.perTeam === undefined) delete process.env.RATE_LIMIT_PER_TEAM;
    else process.env.RATE_LIMIT_PER_TEAM = saved.perTeam;
  });

  it('answers 401 to a wrong secret or a revoked key, and counts neither against the team', async () => {
    const { adminKey } = await createTeam(stack, 'rl-known');
    // The team's window binds for the admin key, so its remaining count shows every request the team was charged.
    process.env.RATE_LIMIT_PER_TEAM = '100';
    const key = await keyWith(adminKey, { name: 'known', scopes: ['send', 'read'], rate_limit: 5 });
    const teamRemaining = async () => limitHeaders(await call(stack.url, 'GET', '/v1/me', { key: adminKey })).remaining;
    const before = await teamRemaining();
    expect(limitHeaders(await call(stack.url, 'GET', '/v1/me', { key: key.key }))).toMatchObject({ limit: 5, remaining: 4 });

    // Same key id, another secret: the process knows the key, so it counts while reading it, then takes the count back.
    const forged = `${key.key.slice(0, 'mr_'.length + 26 + 1)}${'A'.repeat(43)}`;
    // A send starts its reads on the key's team while the key is checked (the first forged request; a failure
    // makes the process forget the key, so the later ones are refused before anything starts).
    const forgedSend = await call(stack.url, 'POST', '/v1/emails', { key: forged, body: { from: 'a@mailroom.test', to: 'x@example.com', subject: 'S', text: 'x' } });
    expectError(forgedSend, 401, 'authentication_required');
    for (let i = 0; i < 3; i++) expectError(await call(stack.url, 'GET', '/v1/me', { key: forged }), 401, 'authentication_required');
    expect(limitHeaders(await call(stack.url, 'GET', '/v1/me', { key: key.key }))).toMatchObject({ limit: 5, remaining: 3 });

    expect((await call(stack.url, 'DELETE', `/v1/api-keys/${key.id}`, { key: adminKey })).status).toBe(200);
    for (let i = 0; i < 2; i++) expectError(await call(stack.url, 'GET', '/v1/me', { key: key.key }), 401, 'authentication_required');

    // Charged: the key's two admitted requests, the revocation and this call — none of the five refused ones.
    expect(await teamRemaining()).toBe(before - 4);
    // Nor does the audit log attribute the forged send to the key it named, nor do its log lines.
    const log = await call(stack.url, 'GET', '/v1/audit-log?limit=100', { key: adminKey });
    expect(log.body.data.filter((e: { request_id: string }) => e.request_id === forgedSend.headers.get('x-request-id'))).toEqual([]);
    const forgedLines = logs.captured.filter((line) => line.includes(forgedSend.headers.get('x-request-id')!));
    expect(forgedLines.length).toBeGreaterThan(0);
    for (const line of forgedLines) expect(JSON.parse(line)).not.toHaveProperty('key_id');
  });
});
