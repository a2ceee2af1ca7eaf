/**
 * Sending domains through the local HTTP API, against the local SES front: the DNS records, the account-wide
 * name claim, verification driven through the front's admin route, the `domain.verified` event, deletion
 * and tenancy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateEmailIdentityCommand, DeleteEmailIdentityCommand, GetEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { LOCAL_MAIL } from '../../local/runtime.js';
import { Domain } from '../../functions/schemas/domains.js';
import { findVerifiedSendingDomain } from '../../functions/repositories/domains.js';
import { listTeamEvents } from '../../functions/repositories/team-events.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectError } from '../support/http.js';
import { uniqueDomain } from './route-cases/domains.js';

let stack: LocalStack;
let teamA: { id: string; key: string };
let teamB: { id: string; key: string };
const ses = new SESv2Client({ endpoint: endpoints().ses, ...LOCAL_AWS });

beforeAll(async () => {
  stack = await startLocalStack({ withWorkers: false });
  const [a, b] = await Promise.all([createTeam(stack, 'domains-a'), createTeam(stack, 'domains-b')]);
  teamA = { id: a.team.id, key: a.adminKey };
  teamB = { id: b.team.id, key: b.adminKey };
});
afterAll(async () => {
  await stack.stop();
  ses.destroy();
});

async function createDomain(key: string, name = uniqueDomain()): Promise<Domain> {
  const res = await call(stack.url, 'POST', '/v1/domains', { key, body: { name } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Drives what SES would find in DNS (the front's admin route, not an SES operation). */
async function setSesStatus(name: string, dkim: 'PENDING' | 'SUCCESS' | 'FAILED') {
  const res = await fetch(`${endpoints().ses}/_mailroom/identities/${name}/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dkim }),
  });
  expect(res.status).toBe(200);
}

const verify = (key: string, id: string) => call(stack.url, 'POST', `/v1/domains/${id}/verify`, { key });
const eventsOf = async (teamId: string, type: string) => (await listTeamEvents(teamId, { limit: 100 })).data.filter((e) => e.type === type);

describe('POST /v1/domains', () => {
  it('creates the SES identity and returns every DNS record to add', async () => {
    const name = uniqueDomain('create');
    const res = await call(stack.url, 'POST', '/v1/domains', { key: teamA.key, body: { name: `  ${name.toUpperCase()}.` } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const domain = Domain.parse(res.body);
    expect(res.body).toEqual(domain);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(domain).toMatchObject({ name, status: 'pending', region: LOCAL_AWS.region, mail_from_domain: `bounce.${name}`, verified_at: null, last_checked_at: null, version: 1 });
    expect(domain.id).toMatch(/^dom_[0-9a-z]{26}$/);

    const dkim = domain.records.filter((r) => r.purpose === 'dkim');
    expect(dkim).toHaveLength(3);
    for (const record of dkim) {
      const token = record.name.split('.')[0]!;
      expect(record).toEqual({ type: 'CNAME', name: `${token}._domainkey.${name}`, value: `${token}.dkim.amazonses.com`, purpose: 'dkim', status: 'pending' });
    }
    expect(domain.records.filter((r) => r.purpose !== 'dkim')).toEqual([
      { type: 'MX', name: `bounce.${name}`, value: 'feedback-smtp.us-east-1.amazonses.com', priority: 10, purpose: 'mail_from', status: 'pending' },
      { type: 'TXT', name: `bounce.${name}`, value: 'v=spf1 include:amazonses.com ~all', purpose: 'spf', status: 'pending' },
      { type: 'TXT', name: `_dmarc.${name}`, value: `v=DMARC1; p=none; rua=mailto:dmarc@${name}`, purpose: 'dmarc', status: 'not_checked' },
      { type: 'MX', name, value: 'inbound-smtp.us-east-1.amazonaws.com', priority: 10, purpose: 'inbound', status: 'not_checked' },
    ]);

    // The SES identity: Easy DKIM with the same tokens, the custom MAIL FROM, the deployment's configuration set.
    const identity = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: name }));
    expect(identity.IdentityType).toBe('DOMAIN');
    expect(identity.DkimAttributes?.Tokens).toEqual(dkim.map((r) => r.name.split('.')[0]));
    expect(identity.MailFromAttributes).toMatchObject({ MailFromDomain: `bounce.${name}`, BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' });
    expect(identity.ConfigurationSetName).toBe(process.env.SES_CONFIGURATION_SET);
    expect(identity.Tags).toEqual([
      { Key: 'mailroom:team-id', Value: teamA.id },
      { Key: 'mailroom:domain-id', Value: domain.id },
    ]);
  });

  it('refuses a name any team already has with 409, and the deployment\'s default sending domain', async () => {
    const name = uniqueDomain('dup');
    await createDomain(teamA.key, name);
    for (const key of [teamB.key, teamA.key]) {
      const res = await call(stack.url, 'POST', '/v1/domains', { key, body: { name } });
      expectError(res, 409, 'conflict');
      expect(res.body.error.param).toBe('name');
    }
    const res = await call(stack.url, 'POST', '/v1/domains', { key: teamB.key, body: { name: LOCAL_MAIL.defaultSendingDomain } });
    expectError(res, 409, 'conflict');
    expect(res.body.error.param).toBe('name');
  });

  it.each(['localhost', '192.168.0.1', '-bad.example.com', 'a..example.com', 'exa mple.com', 'x'.repeat(64) + '.com', 'http://example.com', ''])(
    'refuses %j with 422 on name',
    async (name) => {
      const res = await call(stack.url, 'POST', '/v1/domains', { key: teamA.key, body: { name } });
      expectError(res, 422, 'validation_error');
      expect(res.body.error.param).toBe('name');
    },
  );

  it('releases the claim when SES refuses the identity, so the name can be added once SES agrees', async () => {
    const name = uniqueDomain('orphan');
    // An identity made outside Mailroom holds the name in the account.
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: name }));
    const refused = await call(stack.url, 'POST', '/v1/domains', { key: teamA.key, body: { name } });
    expectError(refused, 409, 'conflict');
    expect((await call(stack.url, 'GET', '/v1/domains?limit=100', { key: teamA.key })).body.data.map((d: Domain) => d.name)).not.toContain(name);
    await ses.send(new DeleteEmailIdentityCommand({ EmailIdentity: name }));
    await createDomain(teamB.key, name);
  });
});

describe('POST /v1/domains/{id}/verify', () => {
  it('moves pending → verified as SES finds the records, records domain.verified once and enables sending from it', async () => {
    const domain = await createDomain(teamA.key);
    await setSesStatus(domain.name, 'PENDING');
    const pending = await verify(teamA.key, domain.id);
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ status: 'pending', verified_at: null, version: 2 });
    expect(pending.body.last_checked_at).toEqual(expect.any(String));
    expect(await findVerifiedSendingDomain(teamA.id, domain.name)).toBe(false);

    await setSesStatus(domain.name, 'SUCCESS');
    const verified = await verify(teamA.key, domain.id);
    expect(verified.status).toBe(200);
    expect(Domain.parse(verified.body)).toMatchObject({ status: 'verified', version: 3 });
    expect(verified.headers.get('etag')).toBe('"3"');
    expect(verified.body.verified_at).toEqual(expect.any(String));
    const statuses = Object.fromEntries(verified.body.records.map((r: { purpose: string; status: string }) => [r.purpose, r.status]));
    expect(statuses).toEqual({ dkim: 'verified', mail_from: 'verified', spf: 'verified', dmarc: 'not_checked', inbound: 'not_checked' });
    expect((await call(stack.url, 'GET', `/v1/domains/${domain.id}`, { key: teamA.key })).body).toEqual(verified.body);

    expect(await findVerifiedSendingDomain(teamA.id, domain.name)).toBe(true);
    expect(await findVerifiedSendingDomain(teamA.id, domain.name.toUpperCase())).toBe(true);
    expect(await findVerifiedSendingDomain(teamB.id, domain.name)).toBe(false);

    // Checking again, even concurrently, neither records the event twice nor moves verified_at.
    const again = await Promise.all([verify(teamA.key, domain.id), verify(teamA.key, domain.id)]);
    for (const res of again) expect(res.body).toMatchObject({ status: 'verified', verified_at: verified.body.verified_at });
    const events = (await eventsOf(teamA.id, 'domain.verified')).filter((e) => e.data.domain_id === domain.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ team_id: teamA.id, data: { domain_id: domain.id, name: domain.name, verified_at: verified.body.verified_at } });
    expect(events[0]!.id).toMatch(/^evt_[0-9a-z]{26}$/);
  });

  it('reports failed when SES gives up on the DKIM records', async () => {
    const domain = await createDomain(teamA.key);
    await setSesStatus(domain.name, 'FAILED');
    const res = await verify(teamA.key, domain.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'failed', verified_at: null });
    expect(res.body.records.filter((r: { purpose: string }) => ['dkim', 'mail_from', 'spf'].includes(r.purpose)).map((r: { status: string }) => r.status)).toEqual([
      'failed',
      'failed',
      'failed',
      'failed',
      'failed',
    ]);
    expect(await findVerifiedSendingDomain(teamA.id, domain.name)).toBe(false);
    expect((await eventsOf(teamA.id, 'domain.verified')).some((e) => e.data.domain_id === domain.id)).toBe(false);
  });

  it('verifies on the first check locally (no DNS to wait for)', async () => {
    const domain = await createDomain(teamB.key);
    const res = await verify(teamB.key, domain.id);
    expect(res.body).toMatchObject({ status: 'verified' });
    expect(await findVerifiedSendingDomain(teamB.id, domain.name)).toBe(true);
  });
});

describe('reading and deleting', () => {
  it('lists the team\'s domains newest first with a cursor, and only its own', async () => {
    const team = await createTeam(stack, 'domains-list');
    const created = [await createDomain(team.adminKey), await createDomain(team.adminKey), await createDomain(team.adminKey)];
    const first = await call(stack.url, 'GET', '/v1/domains?limit=2', { key: team.adminKey });
    expect(first.status).toBe(200);
    expect(first.body.data.map((d: Domain) => d.id)).toEqual([created[2]!.id, created[1]!.id]);
    const second = await call(stack.url, 'GET', `/v1/domains?limit=2&cursor=${first.body.next_cursor}`, { key: team.adminKey });
    expect(second.body.data.map((d: Domain) => d.id)).toEqual([created[0]!.id]);
    expect(second.body.next_cursor).toBeNull();
    const other = await call(stack.url, 'GET', '/v1/domains', { key: teamB.key });
    expect(other.body.data.map((d: Domain) => d.id)).not.toContain(created[0]!.id);
    expectError(await call(stack.url, 'GET', `/v1/domains?cursor=${first.body.next_cursor}`, { key: teamB.key }), 400, 'invalid_parameter');
  });

  it('answers 404 for another team\'s domain on every route and leaves it as it was', async () => {
    const domain = await createDomain(teamA.key);
    for (const [method, path] of [
      ['GET', `/v1/domains/${domain.id}`],
      ['POST', `/v1/domains/${domain.id}/verify`],
      ['DELETE', `/v1/domains/${domain.id}`],
    ] as const) {
      expectError(await call(stack.url, method, path, { key: teamB.key }), 404, 'not_found', `${method} ${path}`);
    }
    expect((await call(stack.url, 'GET', `/v1/domains/${domain.id}`, { key: teamA.key })).body).toEqual(domain);
  });

  it('deletes the SES identity and frees the name for any team', async () => {
    const domain = await createDomain(teamA.key);
    const res = await call(stack.url, 'DELETE', `/v1/domains/${domain.id}`, { key: teamA.key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: domain.id, deleted: true });
    expectError(await call(stack.url, 'GET', `/v1/domains/${domain.id}`, { key: teamA.key }), 404, 'not_found');
    expectError(await call(stack.url, 'DELETE', `/v1/domains/${domain.id}`, { key: teamA.key }), 404, 'not_found');
    await expect(ses.send(new GetEmailIdentityCommand({ EmailIdentity: domain.name }))).rejects.toMatchObject({ name: 'NotFoundException' });
    expect(await findVerifiedSendingDomain(teamA.id, domain.name)).toBe(false);
    const again = await createDomain(teamB.key, domain.name);
    expect(again.id).not.toBe(domain.id);
  });

  it('tells the team when the SES identity was removed behind its back', async () => {
    const domain = await createDomain(teamA.key);
    await ses.send(new DeleteEmailIdentityCommand({ EmailIdentity: domain.name }));
    expectError(await verify(teamA.key, domain.id), 409, 'conflict');
    // Deleting still works and frees the name.
    expect((await call(stack.url, 'DELETE', `/v1/domains/${domain.id}`, { key: teamA.key })).status).toBe(200);
  });
});
