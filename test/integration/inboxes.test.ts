/**
 * Inboxes through the local HTTP API: addresses on the default domain and on verified team domains, the
 * deployment-wide address claim, the inbox key (shown once, limited to its inbox), list/get/patch/delete,
 * the rules and metadata contract, and the address item the inbound worker routes by.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_MAIL } from '../../local/runtime.js';
import { Inbox, InboxCreated, MAX_STORAGE_QUOTA_BYTES } from '../../functions/schemas/inboxes.js';
import { addInboxStorage, findInboxByAddress } from '../../functions/repositories/inboxes.js';
import { listTeamEvents } from '../../functions/repositories/team-events.js';
import { newId } from '../../functions/shared/ids.js';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectError } from '../support/http.js';
import { uniqueDomain } from './route-cases/domains.js';
import { uniqueUsername } from './route-cases/inboxes.js';

const DEFAULT_DOMAIN = LOCAL_MAIL.defaultSendingDomain;

let stack: LocalStack;
let teamA: { id: string; key: string };
let teamB: { id: string; key: string };

beforeAll(async () => {
  stack = await startLocalStack({ withWorkers: false });
  const [a, b] = await Promise.all([createTeam(stack, 'inboxes-a'), createTeam(stack, 'inboxes-b')]);
  teamA = { id: a.team.id, key: a.adminKey };
  teamB = { id: b.team.id, key: b.adminKey };
});
afterAll(() => stack.stop());

async function openInbox(key: string, body: object = { username: uniqueUsername() }) {
  const res = await call(stack.url, 'POST', '/v1/inboxes', { key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return InboxCreated.parse(res.body);
}

async function verifiedDomain(key: string): Promise<string> {
  const created = await call(stack.url, 'POST', '/v1/domains', { key, body: { name: uniqueDomain('inbox') } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  // The local SES front verifies a domain on its first check.
  const verified = await call(stack.url, 'POST', `/v1/domains/${created.body.id}/verify`, { key });
  expect(verified.body.status).toBe('verified');
  return created.body.name;
}

async function teamKey(adminKey: string, scopes: string[]): Promise<string> {
  const res = await call(stack.url, 'POST', '/v1/api-keys', { key: adminKey, body: { name: scopes.join('+'), scopes } });
  expect(res.status).toBe(201);
  return res.body.key;
}

const getInbox = (key: string, id: string) => call(stack.url, 'GET', `/v1/inboxes/${id}`, { key });
const patchInbox = (key: string, id: string, body: object, headers: Record<string, string> = {}) =>
  call(stack.url, 'PATCH', `/v1/inboxes/${id}`, { key, body, headers });

describe('POST /v1/inboxes', () => {
  it('opens an inbox on the default domain with defaults, and an inbox key shown once', async () => {
    const username = uniqueUsername('Support.Bot');
    const res = await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body: { username, display_name: ' Support ' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.get('etag')).toBe('"1"');
    const created = InboxCreated.parse(res.body);
    expect(created).toMatchObject({
      team_id: teamA.id,
      address: `${username.toLowerCase()}@${DEFAULT_DOMAIN}`,
      display_name: 'Support',
      metadata: {},
      rules: { allow: [], block: [], on_blocked: 'drop' },
      storage_quota_bytes: 1024 ** 3,
      storage_used_bytes: 0,
      version: 1,
    });
    expect(created.created_at).toBe(created.updated_at);
    expect(created.api_key).toMatchObject({ team_id: teamA.id, kind: 'inbox', inbox_id: created.id, scopes: ['read', 'send'] });
    expect(created.api_key.key.startsWith(`mr_${created.api_key.id.slice('key_'.length)}_`)).toBe(true);

    const { api_key: _key, ...inbox } = created;
    const fetched = await getInbox(teamA.key, created.id);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(inbox);
    expect(JSON.stringify(fetched.body)).not.toContain(created.api_key.key);
    const list = await call(stack.url, 'GET', '/v1/inboxes?limit=100', { key: teamA.key });
    expect(JSON.stringify(list.body)).not.toContain(created.api_key.key);
    // The inbox key is listed with the team's keys (so an admin can see and revoke it), without its secret.
    const keys = await call(stack.url, 'GET', '/v1/api-keys?limit=100', { key: teamA.key });
    expect(keys.body.data.find((k: { id: string }) => k.id === created.api_key.id)).toMatchObject({ kind: 'inbox', inbox_id: created.id });
    expect(JSON.stringify(keys.body)).not.toContain(created.api_key.key);
  });

  it('generates a username when none is given, and takes a whole address in any case', async () => {
    const generated = await openInbox(teamA.key, {});
    expect(generated.address).toMatch(new RegExp(`^agent-[a-z0-9]{6}@${DEFAULT_DOMAIN.replace('.', '\\.')}$`));
    const username = uniqueUsername('Ann_B+tag');
    const given = await openInbox(teamA.key, { address: `  ${username}@${DEFAULT_DOMAIN.toUpperCase()} ` });
    expect(given.address).toBe(`${username.toLowerCase()}@${DEFAULT_DOMAIN}`);
  });

  it('opens inboxes on a verified domain of the team, given as domain or inside the address', async () => {
    const domain = await verifiedDomain(teamA.key);
    const byDomain = await openInbox(teamA.key, { username: 'support', domain: domain.toUpperCase() });
    expect(byDomain.address).toBe(`support@${domain}`);
    const byAddress = await openInbox(teamA.key, { address: `sales@${domain}` });
    expect(byAddress.address).toBe(`sales@${domain}`);
    const generated = await openInbox(teamA.key, { domain });
    expect(generated.address.endsWith(`@${domain}`)).toBe(true);
  });

  it("refuses a domain that is not a verified domain of the team: 422 on the field that named it", async () => {
    const pending = await call(stack.url, 'POST', '/v1/domains', { key: teamA.key, body: { name: uniqueDomain('pending') } });
    expect(pending.status).toBe(201);
    const otherTeams = await verifiedDomain(teamB.key);
    for (const domain of [pending.body.name, otherTeams, uniqueDomain('unknown')]) {
      const byAddress = await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body: { address: `bot@${domain}` } });
      expectError(byAddress, 422, 'validation_error', domain);
      expect(byAddress.body.error.param).toBe('address');
      expect(byAddress.body.error.errors).toEqual([expect.objectContaining({ field: 'address', code: 'domain_not_verified' })]);
      const byDomain = await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body: { username: 'bot', domain } });
      expectError(byDomain, 422, 'validation_error', domain);
      expect(byDomain.body.error.param).toBe('domain');
    }
    expect(await findInboxByAddress(`bot@${otherTeams}`)).toBeUndefined();
  });

  it('refuses address together with username or domain, and the operator mailboxes of the shared domain', async () => {
    const both = await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body: { address: `a@${DEFAULT_DOMAIN}`, username: 'b', domain: DEFAULT_DOMAIN } });
    expectError(both, 422, 'validation_error');
    expect(both.body.error.errors.map((e: { field: string }) => e.field)).toEqual(['username', 'domain']);
    for (const body of [{ username: 'postmaster' }, { address: `Abuse@${DEFAULT_DOMAIN}` }]) {
      const res = await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body });
      expectError(res, 422, 'validation_error', JSON.stringify(body));
      expect(res.body.error.errors[0].code).toBe('reserved');
    }
    const badUsernames = ['.dot', 'dot.', 'a..b', 'with space', 'ü', 'x'.repeat(65)];
    for (const username of badUsernames) {
      const res = await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body: { username } });
      expectError(res, 422, 'validation_error', username);
      expect(res.body.error.param).toBe('username');
    }
    const badLocalPart = await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body: { address: `a=b@${DEFAULT_DOMAIN}` } });
    expectError(badLocalPart, 422, 'validation_error');
    expect(badLocalPart.body.error.param).toBe('address');
  });

  it('claims an address once across the whole deployment: 409 on address, and nothing of the loser is left', async () => {
    const username = uniqueUsername('taken');
    const first = await openInbox(teamA.key, { username });
    const keysBefore = (await call(stack.url, 'GET', '/v1/api-keys?limit=100', { key: teamB.key })).body.data.length;
    const inboxesBefore = (await call(stack.url, 'GET', '/v1/inboxes?limit=100', { key: teamB.key })).body.data.length;
    for (const [key, body] of [
      [teamB.key, { username: username.toUpperCase() }],
      [teamB.key, { address: `${username}@${DEFAULT_DOMAIN}` }],
      [teamA.key, { username }],
    ] as const) {
      const res = await call(stack.url, 'POST', '/v1/inboxes', { key, body });
      expectError(res, 409, 'conflict');
      expect(res.body.error.param).toBe('address');
    }
    expect((await call(stack.url, 'GET', '/v1/api-keys?limit=100', { key: teamB.key })).body.data).toHaveLength(keysBefore);
    expect((await call(stack.url, 'GET', '/v1/inboxes?limit=100', { key: teamB.key })).body.data).toHaveLength(inboxesBefore);
    expect((await findInboxByAddress(first.address))?.id).toBe(first.id);
  });

  it('replays a retried create with the same Idempotency-Key instead of opening a second inbox', async () => {
    const body = { username: uniqueUsername('idem') };
    const headers = { 'idempotency-key': `inbox-${Date.now()}` };
    const first = await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body, headers });
    const again = await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
  });
});

describe('the inbox key', () => {
  let mine: Awaited<ReturnType<typeof openInbox>>;
  let sibling: Awaited<ReturnType<typeof openInbox>>;
  let otherTeams: Awaited<ReturnType<typeof openInbox>>;

  beforeAll(async () => {
    [mine, sibling, otherTeams] = await Promise.all([openInbox(teamA.key), openInbox(teamA.key), openInbox(teamB.key)]);
  });

  it('authenticates and identifies its inbox on /v1/me', async () => {
    const res = await call(stack.url, 'GET', '/v1/me', { key: mine.api_key.key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'inbox', key_id: mine.api_key.id, inbox_id: mine.id, scopes: ['read', 'send'], team: { id: teamA.id } });
  });

  it('reads its own inbox and no other: 404, exactly like an inbox that does not exist', async () => {
    const own = await getInbox(mine.api_key.key, mine.id);
    expect(own.status).toBe(200);
    expect(own.body.id).toBe(mine.id);
    const missing = await getInbox(mine.api_key.key, newId('inbox'));
    expectError(missing, 404, 'not_found');
    for (const other of [sibling, otherTeams]) {
      const res = await getInbox(mine.api_key.key, other.id);
      expectError(res, 404, 'not_found', other.id);
      expect(res.body.error.message).toBe(missing.body.error.message);
    }
  });

  it('is refused with 403 on team routes, including the other inbox routes for its own inbox', async () => {
    const key = mine.api_key.key;
    const attempts = [
      call(stack.url, 'GET', '/v1/api-keys', { key }),
      call(stack.url, 'POST', '/v1/domains', { key, body: { name: uniqueDomain('inbox-key') } }),
      call(stack.url, 'GET', '/v1/inboxes', { key }),
      call(stack.url, 'POST', '/v1/inboxes', { key, body: { username: uniqueUsername() } }),
      patchInbox(key, mine.id, { display_name: 'Mine now' }),
      call(stack.url, 'DELETE', `/v1/inboxes/${mine.id}`, { key }),
    ];
    for (const res of await Promise.all(attempts)) expectError(res, 403, 'insufficient_permissions');
    expect((await getInbox(teamA.key, mine.id)).body.display_name).toBeNull();
  });
});

describe('GET /v1/inboxes', () => {
  it("lists the team's inboxes newest first, page by page, and only the team's", async () => {
    const { adminKey } = await createTeam(stack, 'inboxes-list');
    const opened = [];
    for (let i = 0; i < 3; i++) opened.push(await openInbox(adminKey));
    const first = await call(stack.url, 'GET', '/v1/inboxes?limit=2', { key: adminKey });
    expect(first.status).toBe(200);
    expect(first.body.data.map((i: Inbox) => i.id)).toEqual([opened[2]!.id, opened[1]!.id]);
    for (const item of first.body.data) expect(Inbox.parse(item)).toEqual(item);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await call(stack.url, 'GET', `/v1/inboxes?limit=2&cursor=${first.body.next_cursor}`, { key: adminKey });
    expect(second.body.data.map((i: Inbox) => i.id)).toEqual([opened[0]!.id]);
    expect(second.body.next_cursor).toBeNull();
    const readKey = await teamKey(adminKey, ['read']);
    expect((await call(stack.url, 'GET', '/v1/inboxes', { key: readKey })).body.data).toHaveLength(3);
    const foreign = await call(stack.url, 'GET', `/v1/inboxes?cursor=${first.body.next_cursor}`, { key: teamB.key });
    expectError(foreign, 400, 'invalid_parameter');
  });
});

describe('PATCH /v1/inboxes/{id}', () => {
  it('changes display name, metadata and rules (field by field), honours If-Match and keeps the routing copy in step', async () => {
    const inbox = await openInbox(teamA.key, { username: uniqueUsername('patch'), rules: { block: ['spam@example.com'] }, metadata: { a: '1' } });
    const changed = await patchInbox(
      teamA.key,
      inbox.id,
      { display_name: 'Agent', metadata: { owner: 'ops' }, rules: { allow: ['Boss@Example.com', '@Partner.Example', '@partner.example'], on_blocked: 'label' } },
      { 'if-match': '"1"' },
    );
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.headers.get('etag')).toBe('"2"');
    expect(Inbox.parse(changed.body)).toMatchObject({
      address: inbox.address,
      display_name: 'Agent',
      metadata: { owner: 'ops' },
      rules: { allow: ['boss@example.com', '@partner.example'], block: ['spam@example.com'], on_blocked: 'label' },
      version: 2,
    });
    expect(changed.body.updated_at >= inbox.updated_at).toBe(true);
    expect((await getInbox(teamA.key, inbox.id)).body).toEqual(changed.body);
    expect(await findInboxByAddress(inbox.address.toUpperCase())).toEqual(changed.body);

    const stale = await patchInbox(teamA.key, inbox.id, { display_name: 'Late' }, { 'if-match': '"1"' });
    expectError(stale, 409, 'conflict');
    expect(stale.body.error.param).toBe('If-Match');

    // The same values again write nothing: no new version.
    const same = await patchInbox(teamA.key, inbox.id, { display_name: 'Agent', rules: { on_blocked: 'label' } });
    expect(same.body.version).toBe(2);

    const cleared = await patchInbox(teamA.key, inbox.id, { display_name: null, rules: { allow: [] } });
    expect(cleared.body).toMatchObject({ display_name: null, rules: { allow: [], block: ['spam@example.com'] }, version: 3 });
    expect((await findInboxByAddress(inbox.address))?.rules.allow).toEqual([]);
  });

  it('keeps the address immutable', async () => {
    const inbox = await openInbox(teamA.key);
    const res = await patchInbox(teamA.key, inbox.id, { address: `moved-${inbox.address}` });
    expectError(res, 400, 'invalid_parameter');
    expect(res.body.error.param).toBe('address');
    expect((await getInbox(teamA.key, inbox.id)).body.address).toBe(inbox.address);
  });

  it('lets only a team admin change the storage quota, up to 50 GiB', async () => {
    const inbox = await openInbox(teamA.key, { username: uniqueUsername('quota'), storage_quota_bytes: 2 * 1024 ** 3 });
    expect(inbox.storage_quota_bytes).toBe(2 * 1024 ** 3);
    const writeKey = await teamKey(teamA.key, ['write']);
    const refused = await patchInbox(writeKey, inbox.id, { storage_quota_bytes: 5 * 1024 ** 3 });
    expectError(refused, 403, 'insufficient_permissions');
    expect(refused.body.error).toMatchObject({ param: 'storage_quota_bytes', required_scope: 'admin' });
    expect((await patchInbox(writeKey, inbox.id, { display_name: 'By a writer' })).status).toBe(200);
    const raised = await patchInbox(teamA.key, inbox.id, { storage_quota_bytes: MAX_STORAGE_QUOTA_BYTES });
    expect(raised.body.storage_quota_bytes).toBe(MAX_STORAGE_QUOTA_BYTES);
    expect((await findInboxByAddress(inbox.address))?.storage_quota_bytes).toBe(MAX_STORAGE_QUOTA_BYTES);
    expectError(await patchInbox(teamA.key, inbox.id, { storage_quota_bytes: MAX_STORAGE_QUOTA_BYTES + 1 }), 422, 'validation_error');
  });
});

describe('rules and metadata', () => {
  it('normalise sender entries and report every broken one', async () => {
    const inbox = await openInbox(teamA.key, { rules: { allow: [' Ann@Example.COM ', '@Example.org', 'ann@example.com'], block: ['@spam.example'] } });
    expect(inbox.rules).toEqual({ allow: ['ann@example.com', '@example.org'], block: ['@spam.example'], on_blocked: 'drop' });

    const bad = await call(stack.url, 'POST', '/v1/inboxes', {
      key: teamA.key,
      body: { rules: { allow: ['ok@example.com', '@', 'no-at-sign', '@bad_domain', 'two@@example.com'], block: Array(101).fill('@example.com'), on_blocked: 'bounce' } },
    });
    expectError(bad, 422, 'validation_error');
    expect(bad.body.error.errors.map((e: { field: string }) => e.field)).toEqual(['rules.allow.1', 'rules.allow.2', 'rules.allow.3', 'rules.allow.4', 'rules.block', 'rules.on_blocked']);
    const unknownRule = await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body: { rules: { deny: ['x@example.com'] } } });
    expectError(unknownRule, 400, 'invalid_parameter');
    expect(unknownRule.body.error.param).toBe('rules.deny');
  });

  it('cap metadata at 20 keys of 1–40 characters and values of 500', async () => {
    const twenty = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key${i}`, 'é'.repeat(500)]));
    expect((await openInbox(teamA.key, { metadata: twenty })).metadata).toEqual(twenty);
    const cases: [object, string][] = [
      [{ ...twenty, one: 'more' }, 'metadata'],
      [{ ['k'.repeat(41)]: 'v' }, `metadata.${'k'.repeat(41)}`],
      [{ '': 'v' }, 'metadata'],
      [{ long: 'x'.repeat(501) }, 'metadata.long'],
    ];
    for (const [metadata, field] of cases) {
      const res = await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body: { metadata } });
      expectError(res, 422, 'validation_error', field);
      expect(res.body.error.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    expectError(await call(stack.url, 'POST', '/v1/inboxes', { key: teamA.key, body: { metadata: { n: 1 } } }), 400, 'invalid_parameter');
  });
});

describe('storage accounting', () => {
  it('counts bytes on the inbox and its routing copy together, and ignores a deleted inbox', async () => {
    const inbox = await openInbox(teamA.key);
    await Promise.all([addInboxStorage(inbox, 1000), addInboxStorage(inbox, 234), addInboxStorage(inbox, 500)]);
    await addInboxStorage(inbox, -500);
    const fetched = await getInbox(teamA.key, inbox.id);
    expect(fetched.body).toMatchObject({ storage_used_bytes: 1234, version: 1 });
    expect((await findInboxByAddress(inbox.address))?.storage_used_bytes).toBe(1234);
    expect((await call(stack.url, 'DELETE', `/v1/inboxes/${inbox.id}`, { key: teamA.key })).status).toBe(200);
    await addInboxStorage(inbox, 10);
    expect(await findInboxByAddress(inbox.address)).toBeUndefined();
  });
});

describe('DELETE /v1/inboxes/{id}', () => {
  it('tombstones at once: 404 afterwards, address free, inbox key revoked, inbox.deleted recorded', async () => {
    const username = uniqueUsername('gone');
    const inbox = await openInbox(teamA.key, { username });
    const res = await call(stack.url, 'DELETE', `/v1/inboxes/${inbox.id}`, { key: teamA.key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: inbox.id, deleted: true });

    expectError(await getInbox(teamA.key, inbox.id), 404, 'not_found');
    expectError(await patchInbox(teamA.key, inbox.id, { display_name: 'x' }), 404, 'not_found');
    expectError(await call(stack.url, 'DELETE', `/v1/inboxes/${inbox.id}`, { key: teamA.key }), 404, 'not_found');
    const list = await call(stack.url, 'GET', '/v1/inboxes?limit=100', { key: teamA.key });
    expect(list.body.data.map((i: Inbox) => i.id)).not.toContain(inbox.id);
    expectError(await call(stack.url, 'GET', '/v1/me', { key: inbox.api_key.key }), 401, 'authentication_required');
    expect(await findInboxByAddress(inbox.address)).toBeUndefined();

    const events = (await listTeamEvents(teamA.id, { limit: 100 })).data.filter((e) => e.type === 'inbox.deleted');
    expect(events.filter((e) => e.data.inbox_id === inbox.id)).toEqual([
      expect.objectContaining({ data: { inbox_id: inbox.id, address: inbox.address, deleted_at: expect.any(String) } }),
    ]);

    // Another team can take the address right away.
    const reused = await openInbox(teamB.key, { username });
    expect(reused.address).toBe(inbox.address);
    expect((await findInboxByAddress(inbox.address))).toMatchObject({ id: reused.id, team_id: teamB.id });
  });

  it("cannot delete another team's inbox", async () => {
    const inbox = await openInbox(teamA.key);
    expectError(await call(stack.url, 'DELETE', `/v1/inboxes/${inbox.id}`, { key: teamB.key }), 404, 'not_found');
    expect((await getInbox(inbox.api_key.key, inbox.id)).status).toBe(200);
  });
});
