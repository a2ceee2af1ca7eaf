/**
 * Idempotency-Key on creating POSTs: concurrent duplicates create one resource, replays return the original
 * response, a different body conflicts, failures release the key, and keys are scoped to their team.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { call, createTeam, endpoints, startLocalStack, type ApiResponse, type LocalStack } from '../support/local-stack.js';
import { expectError } from '../support/http.js';

let stack: LocalStack;
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: endpoints().dynamodb, ...LOCAL_AWS }));

beforeAll(async () => {
  stack = await startLocalStack({ withWorkers: false });
});
afterAll(async () => {
  await stack.stop();
  db.destroy();
});

const idemKey = () => `test-${randomUUID()}`;
let n = 0;
const uniqueSlug = () => `idem-${process.pid}-${Date.now().toString(36)}-${n++}`;

function createKey(adminKey: string, key: string | undefined, body: unknown) {
  return call(stack.url, 'POST', '/v1/api-keys', { key: adminKey, body, headers: key ? { 'idempotency-key': key } : {} });
}
function createTeamWith(key: string | undefined, body: unknown) {
  return call(stack.url, 'POST', '/v1/teams', { key: stack.rootKey, body, headers: key ? { 'idempotency-key': key } : {} });
}
async function listKeys(adminKey: string) {
  const res = await call(stack.url, 'GET', '/v1/api-keys?limit=100', { key: adminKey });
  expect(res.status).toBe(200);
  return res.body.data as { id: string; name: string }[];
}
const isReplay = (res: ApiResponse) => res.headers.get('idempotent-replayed') === 'true';

describe('POST /v1/api-keys with Idempotency-Key', () => {
  it('creates exactly one key from 20 concurrent identical requests', async () => {
    const { adminKey } = await createTeam(stack, 'idem-conc');
    const key = idemKey();
    const body = { name: 'concurrent', scopes: ['read'] };
    const responses = await Promise.all(Array.from({ length: 20 }, () => createKey(adminKey, key, body)));

    const created = responses.filter((r) => r.status === 201);
    const inFlight = responses.filter((r) => r.status === 409);
    expect(created.length + inFlight.length, JSON.stringify(responses.map((r) => r.status))).toBe(20);
    const originals = created.filter((r) => !isReplay(r));
    expect(originals).toHaveLength(1);
    const original = originals[0]!;
    for (const replay of created.filter(isReplay)) {
      expect(replay.body).toEqual(original.body);
      expect(replay.headers.get('etag')).toBe(original.headers.get('etag'));
    }
    for (const conflict of inFlight) {
      expectError(conflict, 409, 'idempotency_conflict', 'in flight', true);
      expect(conflict.body.error.param).toBe('Idempotency-Key');
      expect(conflict.headers.get('retry-after')).toBe('1');
    }

    const keys = await listKeys(adminKey);
    expect(keys.filter((k) => k.name === 'concurrent').map((k) => k.id)).toEqual([original.body.id]);
    expect(keys).toHaveLength(2);

    // Once the first has finished, the same request gets the original response back: same status, same body.
    const again = await createKey(adminKey, key, body);
    expect(again.status).toBe(201);
    expect(isReplay(again)).toBe(true);
    expect(again.body).toEqual(original.body);
    expect(again.headers.get('x-request-id')).not.toBe(original.headers.get('x-request-id'));
    expect(await listKeys(adminKey)).toHaveLength(2);
  });

  it('answers the same key with a different body with 409 idempotency_conflict, not retryable, and creates nothing', async () => {
    const { adminKey } = await createTeam(stack, 'idem-diff');
    const key = idemKey();
    const first = await createKey(adminKey, key, { name: 'first', scopes: ['read'] });
    expect(first.status).toBe(201);
    expect(isReplay(first)).toBe(false);
    const second = await createKey(adminKey, key, { name: 'second', scopes: ['read'] });
    expectError(second, 409, 'idempotency_conflict', 'different body', false);
    expect(second.body.error.param).toBe('Idempotency-Key');
    expect((await listKeys(adminKey)).map((k) => k.name).sort()).toEqual(['Initial admin key', 'first']);
  });

  it('treats a body that only differs in key order as the same request', async () => {
    const { adminKey } = await createTeam(stack, 'idem-order');
    const key = idemKey();
    const first = await createKey(adminKey, key, { name: 'ordered', scopes: ['read'] });
    const second = await call(stack.url, 'POST', '/v1/api-keys', {
      key: adminKey,
      body: '{"scopes":["read"],"name":"ordered"}',
      headers: { 'idempotency-key': key },
    });
    expect(second.status).toBe(201);
    expect(isReplay(second)).toBe(true);
    expect(second.body.id).toBe(first.body.id);
  });

  it('does not deduplicate different keys with the same body', async () => {
    const { adminKey } = await createTeam(stack, 'idem-two');
    const body = { name: 'twice', scopes: ['read'] };
    const [a, b] = [await createKey(adminKey, idemKey(), body), await createKey(adminKey, idemKey(), body)];
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.id).not.toBe(b.body.id);
    expect(isReplay(b)).toBe(false);
  });

  it('releases the key after a 4xx so the fixed request succeeds', async () => {
    const { adminKey } = await createTeam(stack, 'idem-release');
    const key = idemKey();
    const invalid = await createKey(adminKey, key, { name: '', scopes: ['read'] });
    expectError(invalid, 422, 'validation_error');
    const fixed = await createKey(adminKey, key, { name: 'fixed', scopes: ['read'] });
    expect(fixed.status).toBe(201);
    expect(isReplay(fixed)).toBe(false);
    expect(fixed.body.name).toBe('fixed');
  });

  it('keeps idempotency keys per team: the same key and body in another team creates that team its own key', async () => {
    const [a, b] = await Promise.all([createTeam(stack, 'idem-ta'), createTeam(stack, 'idem-tb')]);
    const key = idemKey();
    const body = { name: 'shared-idem', scopes: ['read'] };
    const inA = await createKey(a.adminKey, key, body);
    const inB = await createKey(b.adminKey, key, body);
    expect(inA.status).toBe(201);
    expect(inB.status).toBe(201);
    expect(isReplay(inB)).toBe(false);
    expect(inB.body.id).not.toBe(inA.body.id);
    expect(inB.body.team_id).toBe(b.team.id);
    expect(inB.body.key).not.toBe(inA.body.key);
  });

  it('rejects a malformed Idempotency-Key with 400 before doing anything', async () => {
    const { adminKey } = await createTeam(stack, 'idem-bad');
    for (const bad of ['has space', 'x'.repeat(257), 'semi;colon', 'slash/es']) {
      const res = await call(stack.url, 'POST', '/v1/api-keys', { key: adminKey, body: { name: 'never', scopes: ['read'] }, headers: { 'idempotency-key': bad } });
      expectError(res, 400, 'invalid_parameter', bad);
      expect(res.body.error.param).toBe('Idempotency-Key');
    }
    expect((await listKeys(adminKey)).map((k) => k.name)).toEqual(['Initial admin key']);
  });

  it('remembers a completed request for 24 hours', async () => {
    const { adminKey, team } = await createTeam(stack, 'idem-ttl');
    const before = Math.floor(Date.now() / 1000);
    const created = await createKey(adminKey, idemKey(), { name: 'ttl', scopes: ['read'] });
    expect(created.status).toBe(201);
    const { Items } = await db.send(
      new QueryCommand({ TableName: process.env.TABLE_NAME, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `IDEMPOTENCY#${team.id}` } }),
    );
    expect(Items).toHaveLength(1);
    expect(Items![0]!.status).toBe('COMPLETED');
    expect(Number(Items![0]!.expires_at)).toBeGreaterThanOrEqual(before + 24 * 3600);
    expect(Number(Items![0]!.expires_at)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 24 * 3600);
    // The stored response is what replays return, yet the key shown once is not readable in it.
    expect(JSON.stringify(Items)).not.toContain(created.body.key);
    expect(JSON.stringify(Items)).not.toContain(created.body.id);
  });
});

describe('POST /v1/teams with Idempotency-Key (root key)', () => {
  it('replays the original team (and its first key) instead of creating a second one', async () => {
    const key = idemKey();
    const body = { slug: uniqueSlug(), name: 'Idempotent team' };
    const first = await createTeamWith(key, body);
    expect(first.status).toBe(201);
    const second = await createTeamWith(key, body);
    expect(second.status).toBe(201);
    expect(isReplay(second)).toBe(true);
    expect(second.body).toEqual(first.body);
    // Without the key the same body is a new request, which conflicts on the slug: proof only one team exists.
    expectError(await createTeamWith(undefined, body), 409, 'conflict');
    expect((await call(stack.url, 'GET', '/v1/me', { key: first.body.api_key.key })).body.team.id).toBe(first.body.id);
  });

  it('does not cache a failure: after a 409 slug conflict the same key and body succeed once the slug is free', async () => {
    const slug = uniqueSlug();
    const holder = await createTeamWith(undefined, { slug, name: 'Holder' });
    expect(holder.status).toBe(201);
    const key = idemKey();
    const body = { slug, name: 'Wants the slug' };
    expectError(await createTeamWith(key, body), 409, 'conflict');
    expect((await call(stack.url, 'DELETE', `/v1/teams/${holder.body.id}`, { key: stack.rootKey })).status).toBe(200);
    const retry = await createTeamWith(key, body);
    expect(retry.status).toBe(201);
    expect(isReplay(retry)).toBe(false);
    expect(retry.body.slug).toBe(slug);
    // Having succeeded, the key is now bound to this request.
    expectError(await createTeamWith(key, { slug: uniqueSlug(), name: 'Other' }), 409, 'idempotency_conflict', 'rebound', false);
  });

  it('releases the key after a failure so the same key with a corrected body succeeds', async () => {
    const slug = uniqueSlug();
    expect((await createTeamWith(undefined, { slug, name: 'Taken' })).status).toBe(201);
    const key = idemKey();
    expectError(await createTeamWith(key, { slug, name: 'Clash' }), 409, 'conflict');
    const fixed = await createTeamWith(key, { slug: uniqueSlug(), name: 'Clash fixed' });
    expect(fixed.status).toBe(201);
    expect(isReplay(fixed)).toBe(false);
  });
});
