/** Contacts through the API: identify's upsert and merge, filters, unsubscribing, erasure, and their webhook events. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { eventually, expectError } from '../support/http.js';
import { startReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { uniqueEmail } from './route-cases/contacts.js';

let stack: LocalStack;
let receiver: WebhookReceiver;
let key: string;

beforeAll(async () => {
  stack = await startLocalStack();
  receiver = await startReceiver();
  key = (await createTeam(stack, 'contacts')).adminKey;
});
afterAll(async () => {
  await stack.stop();
  await receiver.close();
});

const identify = (body: Record<string, unknown>, apiKey = key) => call(stack.url, 'POST', '/v1/identify', { key: apiKey, body });

describe('identify', () => {
  it('creates (201) then merges (200) by email, case-insensitively; an identify that changes nothing keeps the version', async () => {
    const email = uniqueEmail();
    const created = await identify({ email, first_name: 'Alex', properties: { plan: 'free', company: { name: 'Acme' } }, tags: ['trial'], source: 'signup' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ created: true, contact: { email, first_name: 'Alex', subscribed: true, version: 1 } });
    const merged = await identify({ email: email.toUpperCase(), first_name: '', properties: { plan: 'pro', company: { size: 5 } }, tags: ['paying', 'trial'], source: 'import' });
    expect(merged.status).toBe(200);
    expect(merged.body.contact_id).toBe(created.body.contact_id);
    expect(merged.body.contact).toMatchObject({ first_name: 'Alex', properties: { plan: 'pro', company: { name: 'Acme', size: 5 } }, tags: ['trial', 'paying'], source: 'signup', version: 2 });
    const again = await identify({ email, tags: ['paying'] });
    expect(again.body.contact.version).toBe(2);
  });

  it('concurrent identifies of one new address create one contact', async () => {
    const email = uniqueEmail();
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => identify({ email, tags: [`t${i}`] })));
    expect(new Set(results.map((r) => r.body.contact_id)).size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const contact = await call(stack.url, 'GET', `/v1/contacts/${results[0]!.body.contact_id}`, { key });
    expect([...contact.body.tags].sort()).toEqual(['t0', 't1', 't2', 't3', 't4']);
  });
});

describe('contacts', () => {
  it('lists with tag, subscription and property filters', async () => {
    const team = await createTeam(stack, 'contacts-list');
    const a = await identify({ email: uniqueEmail(), tags: ['vip'], properties: { plan: 'pro' } }, team.adminKey);
    const b = await identify({ email: uniqueEmail(), tags: ['trial'], properties: { plan: 'free' } }, team.adminKey);
    await call(stack.url, 'PATCH', `/v1/contacts/${b.body.contact_id}`, { key: team.adminKey, body: { subscribed: false } });
    const ids = async (query: string) => (await call(stack.url, 'GET', `/v1/contacts?${query}`, { key: team.adminKey })).body.data.map((c: any) => c.id);
    expect(await ids('tag=vip')).toEqual([a.body.contact_id]);
    expect(await ids('subscribed=false')).toEqual([b.body.contact_id]);
    expect(await ids('property=plan:pro')).toEqual([a.body.contact_id]);
    expect(await ids('limit=1')).toHaveLength(1);
  });

  it('publishes contact.created, contact.updated and contact.unsubscribed to webhooks', async () => {
    const team = await createTeam(stack, 'contacts-hooks');
    await call(stack.url, 'POST', '/v1/webhooks', {
      key: team.adminKey,
      body: { url: `${receiver.url}/contacts`, event_types: ['contact.created', 'contact.updated', 'contact.unsubscribed'] },
    });
    const created = await identify({ email: uniqueEmail(), first_name: 'Kim' }, team.adminKey);
    await identify({ email: created.body.contact.email, last_name: 'Park' }, team.adminKey);
    await call(stack.url, 'PATCH', `/v1/contacts/${created.body.contact_id}`, { key: team.adminKey, body: { subscribed: false } });
    const types = await eventually(async () => {
      const got = receiver.at('/contacts').map((r) => JSON.parse(r.body).type).sort();
      return got.length >= 4 && got;
    }, 10_000);
    expect(types).toEqual(['contact.created', 'contact.unsubscribed', 'contact.updated', 'contact.updated']);
  });

  it('erasure removes the contact and frees the address; a plain get is 404 afterwards', async () => {
    const email = uniqueEmail();
    const created = await identify({ email, first_name: 'Erin' });
    const erased = await call(stack.url, 'DELETE', `/v1/contacts/${created.body.contact_id}?erase=true`, { key });
    expect(erased.body).toEqual({ id: created.body.contact_id, deleted: true, erased: true });
    expectError(await call(stack.url, 'GET', `/v1/contacts/${created.body.contact_id}`, { key }), 404, 'not_found');
    const again = await identify({ email });
    expect(again.status).toBe(201);
    expect(again.body.contact).toMatchObject({ first_name: null, version: 1 });
  });
});
