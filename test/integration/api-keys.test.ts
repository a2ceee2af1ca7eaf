/**
 * API key lifecycle through the local HTTP API: shown once (never again in responses, the table or logs),
 * immediate revocation, last_used_at, team deletion, ETag/If-Match, tenancy, /v1/me and the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { captureLogs } from '../support/log-capture.js';
import { hashToken } from '../../functions/shared/auth/api-key-token.js';
import { call, createTeam, endpoints, startLocalStack, type ApiResponse, type LocalStack } from '../support/local-stack.js';
import { expectError, sleep } from '../support/http.js';

let stack: LocalStack;
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: endpoints().dynamodb, ...LOCAL_AWS }));

beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(async () => {
  await stack.stop();
  db.destroy();
});

const secretOf = (token: string) => token.slice('mr_'.length + 26 + 1);
const asText = (res: ApiResponse) => `${JSON.stringify([...res.headers.entries()])}\n${JSON.stringify(res.body)}`;

async function scanTable(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: process.env.TABLE_NAME, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

async function newKey(adminKey: string, body: object = { name: 'k', scopes: ['admin'] }, headers: Record<string, string> = {}) {
  const res = await call(stack.url, 'POST', '/v1/api-keys', { key: adminKey, body, headers });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res;
}

describe('the plaintext key', () => {
  let logs: ReturnType<typeof captureLogs>;
  beforeAll(() => {
    logs = captureLogs();
  });
  afterAll(() => logs.restore());

  it('appears in its create response only: never in other responses, the table or the logs', async () => {
    const responses: ApiResponse[] = [];
    const track = async (p: Promise<ApiResponse>) => {
      const res = await p;
      responses.push(res);
      return res;
    };
    const { adminKey, team } = await createTeam(stack, 'plain');
    // Created the way an SDK retrying safely would: with an Idempotency-Key.
    const created = await newKey(adminKey, { name: 'secret-holder', scopes: ['admin'] }, { 'idempotency-key': `plain-${Date.now()}` });
    const token: string = created.body.key;
    const id: string = created.body.id;
    expect(token).toMatch(/^mr_/);
    expect(asText(created)).toContain(token);

    await track(call(stack.url, 'GET', '/v1/api-keys', { key: adminKey }));
    await track(call(stack.url, 'GET', `/v1/api-keys/${id}`, { key: adminKey }));
    await track(call(stack.url, 'GET', '/v1/me', { key: token }));
    await track(call(stack.url, 'GET', '/v1/api-keys', { key: token }));
    await track(call(stack.url, 'PATCH', `/v1/api-keys/${id}`, { key: token, body: { name: 'renamed' } }));
    await track(call(stack.url, 'POST', '/v1/api-keys', { key: token, body: { name: '' } }));
    await track(call(stack.url, 'GET', '/v1/api-keys/key_00000000000000000000000000', { key: token }));
    await track(call(stack.url, 'GET', '/v1/audit-log', { key: token }));
    await track(call(stack.url, 'GET', `/v1/teams/${team.id}`, { key: stack.rootKey }));
    await track(call(stack.url, 'GET', '/v1/nope', { key: token }));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 422, 404, 200, 200, 404]);
    for (const res of responses) {
      expect(asText(res)).not.toContain(token);
      expect(asText(res)).not.toContain(secretOf(token));
    }
    const shown = responses.find((r) => r.body?.token_hint)!;
    expect(shown.body.token_hint).toBe(created.body.token_hint);

    const items = await scanTable();
    const stored = items.find((item) => item.id === id && item.sk === 'APIKEY');
    expect(stored?.secret_hash).toBe(hashToken(token, process.env.MAILROOM_PEPPER!));
    expect(items.some((item) => String(item.pk).startsWith(`IDEMPOTENCY#${team.id}`))).toBe(true);
    for (const secret of [token, secretOf(token), adminKey, secretOf(adminKey)]) {
      const leaks = items.filter((item) => JSON.stringify(item).includes(secret)).map((item) => `${item.pk} ${item.sk}`);
      expect(leaks, `stored plaintext ${secret.slice(0, 12)}…`).toEqual([]);
    }

    const logText = logs.captured.join('');
    // The capture works: the access log of these requests is in it.
    expect(logText).toContain(responses[0]!.headers.get('x-request-id')!);
    expect(logText).toContain(created.headers.get('x-request-id')!);
    for (const secret of [token, secretOf(token), adminKey, secretOf(adminKey)]) expect(logText).not.toContain(secret);
  });
});

describe('revocation', () => {
  it('takes effect on the very next request, and the key leaves the list', async () => {
    const { adminKey } = await createTeam(stack, 'revoke');
    const { body: key } = await newKey(adminKey);
    expect((await call(stack.url, 'GET', '/v1/me', { key: key.key })).status).toBe(200);
    const del = await call(stack.url, 'DELETE', `/v1/api-keys/${key.id}`, { key: adminKey });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ id: key.id, deleted: true });
    expectError(await call(stack.url, 'GET', '/v1/me', { key: key.key }), 401, 'authentication_required');
    expectError(await call(stack.url, 'GET', `/v1/api-keys/${key.id}`, { key: adminKey }), 404, 'not_found');
    expectError(await call(stack.url, 'DELETE', `/v1/api-keys/${key.id}`, { key: adminKey }), 404, 'not_found');
    expectError(await call(stack.url, 'PATCH', `/v1/api-keys/${key.id}`, { key: adminKey, body: { name: 'back' } }), 404, 'not_found');
    const list = await call(stack.url, 'GET', '/v1/api-keys', { key: adminKey });
    expect(list.body.data.map((k: { id: string }) => k.id)).not.toContain(key.id);
  });

  it('lets a key revoke itself, after which it no longer works', async () => {
    const { adminKey } = await createTeam(stack, 'selfrevoke');
    const { body: key } = await newKey(adminKey);
    expect((await call(stack.url, 'DELETE', `/v1/api-keys/${key.id}`, { key: key.key })).status).toBe(200);
    expectError(await call(stack.url, 'GET', '/v1/api-keys', { key: key.key }), 401, 'authentication_required');
  });

  it('applies a scope change immediately', async () => {
    const { adminKey } = await createTeam(stack, 'rescope');
    const { body: key } = await newKey(adminKey);
    expect((await call(stack.url, 'GET', '/v1/api-keys', { key: key.key })).status).toBe(200);
    const patched = await call(stack.url, 'PATCH', `/v1/api-keys/${key.id}`, { key: adminKey, body: { scopes: ['read'] } });
    expect(patched.body.scopes).toEqual(['read']);
    expectError(await call(stack.url, 'GET', '/v1/api-keys', { key: key.key }), 403, 'insufficient_permissions');
    expect((await call(stack.url, 'GET', '/v1/me', { key: key.key })).body.scopes).toEqual(['read']);
  });
});

describe('last_used_at', () => {
  it('is null until the key is used, then set, and not rewritten on every request', async () => {
    const { adminKey } = await createTeam(stack, 'lastused');
    const { body: key } = await newKey(adminKey, { name: 'used', scopes: ['read'] });
    expect(key.last_used_at).toBeNull();
    const get = async () => (await call(stack.url, 'GET', `/v1/api-keys/${key.id}`, { key: adminKey })).body;
    expect((await get()).last_used_at).toBeNull();

    const before = Date.now();
    expect((await call(stack.url, 'GET', '/v1/me', { key: key.key })).status).toBe(200);
    const first = await get();
    expect(first.last_used_at).not.toBeNull();
    expect(Date.parse(first.last_used_at)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(first.last_used_at)).toBeLessThanOrEqual(Date.now());
    // Touching last_used_at is not a change a client made: the ETag stays.
    expect(first.version).toBe(key.version);

    await sleep(1100);
    for (let i = 0; i < 3; i++) expect((await call(stack.url, 'GET', '/v1/me', { key: key.key })).status).toBe(200);
    expect((await get()).last_used_at).toBe(first.last_used_at);
  });
});

describe('deleting a team', () => {
  it('revokes its keys at once, makes the team 404 and frees its slug', async () => {
    const { adminKey, team } = await createTeam(stack, 'deleted');
    const { body: second } = await newKey(adminKey, { name: 'second', scopes: ['read'] });
    expect((await call(stack.url, 'GET', '/v1/me', { key: second.key })).status).toBe(200);

    const del = await call(stack.url, 'DELETE', `/v1/teams/${team.id}`, { key: stack.rootKey });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ id: team.id, deleted: true, revoked_keys: 2 });
    for (const key of [adminKey, second.key]) expectError(await call(stack.url, 'GET', '/v1/me', { key }), 401, 'authentication_required');
    expectError(await call(stack.url, 'GET', `/v1/teams/${team.id}`, { key: stack.rootKey }), 404, 'not_found');
    expectError(await call(stack.url, 'PATCH', `/v1/teams/${team.id}`, { key: stack.rootKey, body: { name: 'zombie' } }), 404, 'not_found');
    expectError(await call(stack.url, 'DELETE', `/v1/teams/${team.id}`, { key: stack.rootKey }), 404, 'not_found');

    const reused = await call(stack.url, 'POST', '/v1/teams', { key: stack.rootKey, body: { slug: team.slug, name: 'Reborn' } });
    expect(reused.status).toBe(201);
    expect(reused.body.id).not.toBe(team.id);
    expect((await call(stack.url, 'GET', '/v1/me', { key: reused.body.api_key.key })).body.team).toEqual({ id: reused.body.id, slug: team.slug, name: 'Reborn' });
    // The old team's keys stay dead even though a team with the same slug exists again.
    expectError(await call(stack.url, 'GET', '/v1/me', { key: adminKey }), 401, 'authentication_required');
  });
});

describe('ETag and If-Match', () => {
  it('rejects a PATCH with a stale If-Match (409) and accepts the current one with a new ETag', async () => {
    const { adminKey } = await createTeam(stack, 'etag');
    const created = await newKey(adminKey, { name: 'versioned', scopes: ['read'], rate_limit: 50 });
    expect(created.headers.get('etag')).toBe('"1"');
    const get = await call(stack.url, 'GET', `/v1/api-keys/${created.body.id}`, { key: adminKey });
    const etag = get.headers.get('etag')!;
    expect(etag).toBe(`"${get.body.version}"`);

    const path = `/v1/api-keys/${created.body.id}`;
    const stale = await call(stack.url, 'PATCH', path, { key: adminKey, body: { name: 'stale' }, headers: { 'if-match': '"0"' } });
    expectError(stale, 409, 'conflict');
    expect(stale.body.error.param).toBe('If-Match');

    const ok = await call(stack.url, 'PATCH', path, { key: adminKey, body: { name: 'fresh', rate_limit: null }, headers: { 'if-match': etag } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: 'fresh', rate_limit: null, version: get.body.version + 1 });
    expect(ok.headers.get('etag')).toBe(`"${get.body.version + 1}"`);

    // The ETag it was read with is stale now; a weak form of the current one is accepted.
    expectError(await call(stack.url, 'PATCH', path, { key: adminKey, body: { name: 'again' }, headers: { 'if-match': etag } }), 409, 'conflict');
    const weak = await call(stack.url, 'PATCH', path, { key: adminKey, body: { name: 'weak' }, headers: { 'if-match': `W/${ok.headers.get('etag')}` } });
    expect(weak.status).toBe(200);
    expectError(await call(stack.url, 'PATCH', path, { key: adminKey, body: { name: 'x' }, headers: { 'if-match': 'not-an-etag' } }), 400, 'invalid_parameter');
    expect((await call(stack.url, 'GET', path, { key: adminKey })).body.name).toBe('weak');
  });

  it('applies to teams as well', async () => {
    const { team } = await createTeam(stack, 'etagteam');
    const path = `/v1/teams/${team.id}`;
    const get = await call(stack.url, 'GET', path, { key: stack.rootKey });
    expect(get.headers.get('etag')).toBe('"1"');
    expectError(await call(stack.url, 'PATCH', path, { key: stack.rootKey, body: { name: 'X' }, headers: { 'if-match': '"7"' } }), 409, 'conflict');
    const ok = await call(stack.url, 'PATCH', path, { key: stack.rootKey, body: { name: 'Renamed' }, headers: { 'if-match': '"1"' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe('"2"');
    expect(ok.body.name).toBe('Renamed');
    expect(Date.parse(ok.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(get.body.updated_at));
  });
});

describe('tenancy', () => {
  it("never shows a team another team's keys: 404 for each, and not in its list", async () => {
    const [a, b] = await Promise.all([createTeam(stack, 'ten-a'), createTeam(stack, 'ten-b')]);
    const { body: aKey } = await newKey(a.adminKey, { name: 'a-only', scopes: ['read'] });
    expectError(await call(stack.url, 'GET', `/v1/api-keys/${aKey.id}`, { key: b.adminKey }), 404, 'not_found');
    expectError(await call(stack.url, 'GET', `/v1/api-keys/${a.team.api_key.id}`, { key: b.adminKey }), 404, 'not_found');
    const bList = await call(stack.url, 'GET', '/v1/api-keys?limit=100', { key: b.adminKey });
    expect(bList.body.data.map((k: { id: string }) => k.id)).toEqual([b.team.api_key.id]);
    expect(bList.body.data.every((k: { team_id: string }) => k.team_id === b.team.id)).toBe(true);
    const aList = await call(stack.url, 'GET', '/v1/api-keys?limit=100', { key: a.adminKey });
    expect(aList.body.data.map((k: { id: string }) => k.id)).toEqual([aKey.id, a.team.api_key.id]);
  });
});

describe('GET /v1/me', () => {
  it('describes the root key', async () => {
    const res = await call(stack.url, 'GET', '/v1/me', { key: stack.rootKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kind: 'root', key_id: 'root', scopes: ['read', 'write', 'send', 'admin'], team: null });
  });

  it('describes a team key and its team, without secrets', async () => {
    const { adminKey, team } = await createTeam(stack, 'me');
    const { body: key } = await newKey(adminKey, { name: 'me-key', scopes: ['read', 'send'] });
    const res = await call(stack.url, 'GET', '/v1/me', { key: key.key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      kind: 'team',
      key_id: key.id,
      key_name: 'me-key',
      scopes: ['read', 'send'],
      inbox_id: null,
      team: { id: team.id, slug: team.slug, name: team.name },
    });
    expect(res.headers.get('x-ratelimit-limit')).toMatch(/^\d+$/);
  });
});

describe('audit log', () => {
  it('records each send once, written alongside the email: successes with the email id, refusals with their error', async () => {
    const { adminKey } = await createTeam(stack, 'audit-sends');
    const send = (to: string) => call(stack.url, 'POST', '/v1/emails', { key: adminKey, body: { from: 'a@mailroom.test', to, subject: 'Audited', text: 'x' } });
    await call(stack.url, 'POST', '/v1/suppressions', { key: adminKey, body: { email: 'gone@example.com' } });
    const sent = await send('someone@example.com');
    const refused = await send('gone@example.com');
    const batch = await call(stack.url, 'POST', '/v1/emails/batch', { key: adminKey, body: [{ from: 'a@mailroom.test', to: 'one@example.com', subject: 'B', text: 'x' }] });
    expect([sent.status, refused.status, batch.status]).toEqual([202, 422, 202]);
    const log = await call(stack.url, 'GET', '/v1/audit-log?limit=100', { key: adminKey });
    const entries = (res: ApiResponse) => log.body.data.filter((e: { request_id: string }) => e.request_id === res.headers.get('x-request-id'));
    expect(entries(sent)).toEqual([expect.objectContaining({ action: 'emails.send', resource_id: sent.body.id, status: 202, outcome: 'success' })]);
    expect(entries(refused)).toEqual([expect.objectContaining({ action: 'emails.send', status: 422, outcome: 'failure', error_code: 'all_recipients_suppressed' })]);
    expect(entries(batch)).toEqual([expect.objectContaining({ action: 'emails.batch', resource_id: null, status: 202, outcome: 'success' })]);
  });

  it('records mutating requests, successes and failures, with who, what, outcome and the request id', async () => {
    const { adminKey, team } = await createTeam(stack, 'audit');
    const adminId = team.api_key.id as string;
    const created = await newKey(adminKey, { name: 'audited', scopes: ['read'] });
    const readKey = created.body.key as string;
    const invalid = await call(stack.url, 'POST', '/v1/api-keys', { key: adminKey, body: { name: '' } });
    const stale = await call(stack.url, 'PATCH', `/v1/api-keys/${created.body.id}`, { key: adminKey, body: { name: 'x' }, headers: { 'if-match': '"9"' } });
    const forbidden = await call(stack.url, 'POST', '/v1/api-keys', { key: readKey, body: { name: 'escalate', scopes: ['admin'] } });
    const read = await call(stack.url, 'GET', '/v1/api-keys', { key: adminKey });
    const deleted = await call(stack.url, 'DELETE', `/v1/api-keys/${created.body.id}`, { key: adminKey });
    expect([created, invalid, stale, forbidden, read, deleted].map((r) => r.status)).toEqual([201, 422, 409, 403, 200, 200]);

    const log = await call(stack.url, 'GET', '/v1/audit-log?limit=100', { key: adminKey });
    expect(log.status).toBe(200);
    const byRequest = new Map(log.body.data.map((e: { request_id: string }) => [e.request_id, e]));
    const entry = (res: ApiResponse) => byRequest.get(res.headers.get('x-request-id')!) as Record<string, unknown> | undefined;

    expect(entry(created)).toMatchObject({
      team_id: team.id,
      actor_key_id: adminId,
      action: 'api-keys.create',
      method: 'POST',
      path: '/v1/api-keys',
      resource_id: created.body.id,
      status: 201,
      outcome: 'success',
      error_code: null,
      request_id: created.headers.get('x-request-id'),
      created_at: expect.any(String),
    });
    expect(entry(invalid)).toMatchObject({ action: 'api-keys.create', status: 422, outcome: 'failure', error_code: 'validation_error', actor_key_id: adminId });
    expect(entry(stale)).toMatchObject({ action: 'api-keys.update', resource_id: created.body.id, status: 409, outcome: 'failure', error_code: 'conflict' });
    expect(entry(forbidden)).toMatchObject({ action: 'api-keys.create', actor_key_id: created.body.id, status: 403, outcome: 'failure', error_code: 'insufficient_permissions' });
    expect(entry(deleted)).toMatchObject({ action: 'api-keys.delete', resource_id: created.body.id, status: 200, outcome: 'success' });
    expect(entry(read)).toBeUndefined();
    // Newest first; every entry belongs to this team.
    expect(log.body.data.map((e: { request_id: string }) => e.request_id).slice(0, 5)).toEqual(
      [deleted, forbidden, stale, invalid, created].map((r) => r.headers.get('x-request-id')),
    );
    expect(log.body.data.every((e: { team_id: string }) => e.team_id === team.id)).toBe(true);
    expect(JSON.stringify(log.body)).not.toContain(readKey);

    const creates = await call(stack.url, 'GET', '/v1/audit-log?action=api-keys.create', { key: adminKey });
    expect(creates.body.data.map((e: { request_id: string }) => e.request_id)).toEqual([forbidden, invalid, created].map((r) => r.headers.get('x-request-id')));
    const failures = await call(stack.url, 'GET', '/v1/audit-log?outcome=failure', { key: adminKey });
    expect(failures.body.data.map((e: { status: number }) => e.status)).toEqual([403, 409, 422]);
    const both = await call(stack.url, 'GET', '/v1/audit-log?outcome=success&action=api-keys.delete', { key: adminKey });
    expect(both.body.data.map((e: { request_id: string }) => e.request_id)).toEqual([deleted.headers.get('x-request-id')]);
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect((await call(stack.url, 'GET', `/v1/audit-log?since=${future}`, { key: adminKey })).body.data).toEqual([]);
    const hourAgo = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
    const inRange = await call(stack.url, 'GET', `/v1/audit-log?since=${hourAgo}&action=api-keys.create`, { key: adminKey });
    expect(inRange.body.data.length).toBe(creates.body.data.length);
    const paged = await call(stack.url, 'GET', '/v1/audit-log?limit=2', { key: adminKey });
    expect(paged.body.data).toHaveLength(2);
    const next = await call(stack.url, 'GET', `/v1/audit-log?limit=2&cursor=${paged.body.next_cursor}`, { key: adminKey });
    expect(next.body.data.map((e: { id: string }) => e.id)).toEqual(log.body.data.slice(2, 4).map((e: { id: string }) => e.id));
  });

  it('refuses a read-only key and keeps teams apart', async () => {
    const [a, b] = await Promise.all([createTeam(stack, 'aud-a'), createTeam(stack, 'aud-b')]);
    const { body: readKey } = await newKey(a.adminKey, { name: 'reader', scopes: ['read'] });
    expectError(await call(stack.url, 'GET', '/v1/audit-log', { key: readKey.key }), 403, 'insufficient_permissions');
    const bLog = await call(stack.url, 'GET', '/v1/audit-log?limit=100', { key: b.adminKey });
    expect(bLog.status).toBe(200);
    expect(bLog.body.data).toEqual([]);
  });

  it('records team management in the root log', async () => {
    const res = await call(stack.url, 'POST', '/v1/teams', { key: stack.rootKey, body: { slug: `aud-root-${Date.now().toString(36)}`, name: 'Root audited' } });
    expect(res.status).toBe(201);
    const log = await call(stack.url, 'GET', '/v1/audit-log?action=teams.create&limit=100', { key: stack.rootKey });
    const mine = log.body.data.find((e: { request_id: string }) => e.request_id === res.headers.get('x-request-id'));
    expect(mine).toMatchObject({ team_id: null, actor_key_id: 'root', action: 'teams.create', resource_id: res.body.id, status: 201, outcome: 'success' });
  });
});
