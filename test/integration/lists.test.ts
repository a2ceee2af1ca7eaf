/**
 * Lists through the API: CRUD and tenancy, the per-team limit, identify with list_id, double opt-in with the
 * confirmation email as SES receives it and its link (forged, expired, repeated), per-list unsubscribe, the
 * one-click unsubscribe link unsubscribing the contact from everything, members by status, webhook events, and
 * a deleted list's memberships swept from its contacts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listConfirmationToken } from '../../functions/domain/lists.js';
import { unsubscribeToken } from '../../functions/domain/unsubscribe.js';
import { newId } from '../../functions/shared/ids.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { eventually, expectError, expectEventually, rawCall } from '../support/http.js';
import { startReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { uniqueEmail } from './route-cases/contacts.js';

let stack: LocalStack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  [stack, receiver] = await Promise.all([startLocalStack(), startReceiver()]);
});
afterAll(async () => {
  await stack.stop();
  await receiver.close();
});

const FROM = 'Newsletter <news@mailroom.test>';
const api = (key: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(stack.url, method, path, { key, body, headers });
const createList = async (key: string, body: object = {}) => {
  const res = await api(key, 'POST', '/v1/lists', { name: `List ${Date.now()}`, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string; version: number };
};
const getContact = async (key: string, id: string) => (await api(key, 'GET', `/v1/contacts/${id}`)).body;
const members = async (key: string, listId: string, query = '') => (await api(key, 'GET', `/v1/lists/${listId}/contacts${query}`)).body;

/** The captured email SES received with this subject, once it arrives. */
async function capturedMail(subject: string, to: string) {
  return expectEventually(async () => {
    const store = (await (await fetch(`${endpoints().ses}/store`)).json()) as { emails: { subject: string; destination?: unknown; body: { html?: string; text?: string } }[] };
    const found = store.emails.filter((e) => e.subject === subject && JSON.stringify(e).includes(to));
    expect(found.length).toBeGreaterThan(0);
    return found;
  });
}
const linkIn = (text: string) => /https?:\/\/\S+\/v1\/lists\/confirm\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/.exec(text)![0];
const pathOf = (url: string) => new URL(url).pathname;

describe('list resources', () => {
  it('create, get, list, update with If-Match, delete; another team gets 404 on every route', async () => {
    const [{ adminKey: key }, other] = await Promise.all([createTeam(stack, 'lists-crud'), createTeam(stack, 'lists-crud-other')]);
    const created = await api(key, 'POST', '/v1/lists', { name: ' Weekly ', description: 'News every week' });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toEqual({
      id: expect.stringMatching(/^lst_/),
      name: 'Weekly',
      description: 'News every week',
      double_opt_in: false,
      confirmation: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      version: 1,
    });
    const id = created.body.id;
    const second = await createList(key, { name: 'Second' });
    expect((await api(key, 'GET', `/v1/lists/${id}`)).body).toEqual(created.body);
    expect((await api(key, 'GET', '/v1/lists')).body.data.map((l: { id: string }) => l.id)).toEqual([second.id, id]);

    expectError(await api(key, 'PATCH', `/v1/lists/${id}`, { name: 'Stale' }, { 'If-Match': '"7"' }), 409, 'conflict');
    const updated = await api(key, 'PATCH', `/v1/lists/${id}`, { double_opt_in: true, confirmation: { from: FROM, subject: 'Please confirm' } }, { 'If-Match': '"1"' });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Weekly', double_opt_in: true, confirmation: { from: { email: 'news@mailroom.test', name: 'Newsletter' }, subject: 'Please confirm' }, version: 2 });
    // The stored confirmation settings satisfy double opt-in; clearing them while it is on does not.
    const cleared = await api(key, 'PATCH', `/v1/lists/${id}`, { confirmation: null });
    expectError(cleared, 422, 'validation_error');
    expect(cleared.body.error.param).toBe('confirmation');
    const unverified = await api(key, 'POST', '/v1/lists', { name: 'Elsewhere', double_opt_in: true, confirmation: { from: 'x@not-verified.example.com' } });
    expectError(unverified, 422, 'validation_error');
    expect(unverified.body.error.errors).toEqual([expect.objectContaining({ field: 'confirmation.from', code: 'domain_not_verified' })]);

    for (const [method, path, body] of [
      ['GET', `/v1/lists/${id}`],
      ['PATCH', `/v1/lists/${id}`, { name: 'Mine now' }],
      ['DELETE', `/v1/lists/${id}`],
      ['GET', `/v1/lists/${id}/contacts`],
      ['POST', `/v1/lists/${id}/contacts`, { email: uniqueEmail() }],
    ] as const) {
      expectError(await api(other.adminKey, method, path, body), 404, 'not_found', `${method} ${path}`);
    }
    expect((await api(other.adminKey, 'GET', '/v1/lists')).body.data).toEqual([]);

    expect((await api(key, 'DELETE', `/v1/lists/${id}`)).body).toEqual({ id, deleted: true });
    expectError(await api(key, 'GET', `/v1/lists/${id}`), 404, 'not_found');
    expect((await api(key, 'GET', '/v1/lists')).body.data.map((l: { id: string }) => l.id)).toEqual([second.id]);
  });

  it('a team has at most 100 lists; a deleted list frees its place at once', async () => {
    const { adminKey: key } = await createTeam(stack, 'lists-limit');
    const ids: string[] = [];
    for (let i = 0; i < 100; i += 20) {
      ids.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => createList(key, { name: `L${i + j}` })))).map((l) => l.id));
    }
    const over = await api(key, 'POST', '/v1/lists', { name: 'One too many' });
    expectError(over, 422, 'validation_error');
    expect(over.body.error.limit).toBe(100);
    expect((await api(key, 'DELETE', `/v1/lists/${ids[0]}`)).status).toBe(200);
    expect((await api(key, 'POST', '/v1/lists', { name: 'Fits again' })).status).toBe(201);
  });
});

describe('subscribing with identify', () => {
  it('list_id subscribes the contact (contact.lists, members); repeating it is not a first subscription', async () => {
    const [{ adminKey: key }, other] = await Promise.all([createTeam(stack, 'lists-identify'), createTeam(stack, 'lists-identify-other')]);
    const list = await createList(key);
    const email = uniqueEmail();
    const first = await api(key, 'POST', '/v1/identify', { email, first_name: 'Ada', list_id: list.id });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ created: true, list: { id: list.id, status: 'subscribed', first_subscription: true }, enrolled_campaigns: [] });
    expect(first.body.contact).toMatchObject({ email, first_name: 'Ada', lists: [list.id], version: 2 });
    expect(first.headers.get('etag')).toBe('"2"');
    const contactId = first.body.contact_id;
    expect(await getContact(key, contactId)).toMatchObject({ lists: [list.id], version: 2 });
    expect((await members(key, list.id)).data).toEqual([
      {
        list_id: list.id,
        contact_id: contactId,
        email,
        status: 'subscribed',
        subscribed_at: expect.any(String),
        first_subscribed_at: expect.any(String),
        unsubscribed_at: null,
        confirmation_sent_at: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
    ]);

    const again = await api(key, 'POST', '/v1/identify', { email, list_id: list.id });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ list: { id: list.id, status: 'subscribed', first_subscription: false }, contact: { version: 2 } });

    // Another team's list is not found, and nothing is created.
    const foreign = await createList(other.adminKey);
    const stranger = uniqueEmail();
    const refused = await api(key, 'POST', '/v1/identify', { email: stranger, list_id: foreign.id });
    expectError(refused, 422, 'validation_error');
    expect(refused.body.error.param).toBe('list_id');
    expect((await api(key, 'GET', '/v1/contacts?limit=100')).body.data.map((c: { email: string }) => c.email)).toEqual([email]);
    expect((await members(other.adminKey, foreign.id)).data).toEqual([]);
  });
});

describe('double opt-in', () => {
  it('pending until the emailed link is opened; the link works once and again harmlessly, by GET (page) or POST', async () => {
    const { adminKey: key } = await createTeam(stack, 'lists-doi');
    const list = await createList(key, { name: `Digest ${Date.now()}`, double_opt_in: true, confirmation: { from: FROM } });
    const email = uniqueEmail();
    const subscribed = await api(key, 'POST', `/v1/lists/${list.id}/contacts`, { email });
    expect(subscribed.status, JSON.stringify(subscribed.body)).toBe(201);
    expect(subscribed.body).toMatchObject({ list_id: list.id, email, status: 'pending', first_subscription: false, confirmation_email_id: expect.stringMatching(/^em_/), confirmation_sent_at: expect.any(String) });
    const contactId = subscribed.body.contact_id;
    expect(await getContact(key, contactId)).toMatchObject({ email, lists: [] });

    // Subscribing again right away sends no second email.
    const repeat = await api(key, 'POST', '/v1/identify', { email, list_id: list.id });
    expect(repeat.body.list).toEqual({ id: list.id, status: 'pending', first_subscription: false });

    const [mail, ...more] = await capturedMail(`Confirm your subscription to ${list.name}`, email);
    expect(more).toEqual([]);
    expect(mail!.body.text).toContain(`Please confirm that you want to receive "${list.name}"`);
    const link = linkIn(mail!.body.text!);
    expect(mail!.body.html).toContain(`href="${link}"`);

    const page = await rawCall(stack.url, 'GET', pathOf(link), { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain(`You are now subscribed to ${list.name}`);
    expect(await getContact(key, contactId)).toMatchObject({ lists: [list.id] });
    expect((await members(key, list.id)).data).toEqual([expect.objectContaining({ contact_id: contactId, status: 'subscribed', first_subscribed_at: expect.any(String) })]);

    const json = await call(stack.url, 'GET', pathOf(link));
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ confirmed: true, already_confirmed: true, member: { status: 'subscribed' }, list: { id: list.id } });
    const oneClick = await rawCall(stack.url, 'POST', pathOf(link), { body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(oneClick.status).toBe(200);
    expect(oneClick.body).toMatchObject({ confirmed: true, already_confirmed: true });
  });

  it('a forged, expired or cancelled link is a clear 404 (a page for browsers), never a 500', async () => {
    const { team, adminKey: key } = await createTeam(stack, 'lists-doi-bad');
    const list = await createList(key, { double_opt_in: true, confirmation: { from: FROM, subject: `Confirm ${Date.now()}` } });
    const pending = await api(key, 'POST', `/v1/lists/${list.id}/contacts`, { email: uniqueEmail() });
    expect(pending.body.status).toBe('pending');
    const claim = { team_id: team.id, list_id: list.id, contact_id: pending.body.contact_id };

    const valid = await listConfirmationToken({ ...claim, expires_at: Date.now() + 60_000 });
    const [payload, signature] = valid.split('.') as [string, string];
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
    const otherContact = Buffer.from(JSON.stringify([team.id, list.id, newId('contact'), Date.now() + 60_000])).toString('base64url');
    for (const [what, token] of [
      ['a changed signature', `${payload}.${flipped}`],
      ['another contact under the same signature', `${otherContact}.${signature}`],
      ['no signature', `${payload}.`],
      ['garbage', 'not-a-token-at-all'],
    ] as const) {
      const res = await call(stack.url, 'GET', `/v1/lists/confirm/${token}`);
      expectError(res, 404, 'not_found', what);
      expect(res.body.error.reason, what).toBe('invalid');
    }
    const page = await rawCall(stack.url, 'GET', `/v1/lists/confirm/${payload}.${flipped}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain('This confirmation link is not valid');

    const expired = await listConfirmationToken({ ...claim, expires_at: Date.now() - 1000 });
    const late = await call(stack.url, 'GET', `/v1/lists/confirm/${expired}`);
    expectError(late, 404, 'not_found');
    expect(late.body.error).toMatchObject({ reason: 'expired', message: expect.stringContaining('expired') });
    expect((await members(key, list.id)).data[0].status).toBe('pending');

    // Cancelled before the click: the (still valid) link no longer subscribes.
    expect((await api(key, 'DELETE', `/v1/lists/${list.id}/contacts/${claim.contact_id}`)).body.status).toBe('unsubscribed');
    const cancelled = await call(stack.url, 'GET', `/v1/lists/confirm/${valid}`);
    expectError(cancelled, 404, 'not_found');
    expect(cancelled.body.error.reason).toBe('cancelled');
    expect(await getContact(key, claim.contact_id)).toMatchObject({ lists: [] });
  });
});

describe('unsubscribing', () => {
  it('from one list: the membership and contact.lists change, the contact stays subscribed; webhooks hear about it', async () => {
    const { adminKey: key } = await createTeam(stack, 'lists-unsub');
    await api(key, 'POST', '/v1/webhooks', { url: `${receiver.url}/lists-unsub`, event_types: ['contact.updated', 'contact.unsubscribed'] });
    const [news, offers] = await Promise.all([createList(key, { name: 'News' }), createList(key, { name: 'Offers' })]);
    const email = uniqueEmail();
    const contactId = (await api(key, 'POST', '/v1/identify', { email, list_id: news.id })).body.contact_id;
    expect((await api(key, 'POST', `/v1/lists/${offers.id}/contacts`, { contact_id: contactId })).body).toMatchObject({ status: 'subscribed', first_subscription: true });
    expect((await getContact(key, contactId)).lists.sort()).toEqual([news.id, offers.id].sort());

    const left = await api(key, 'DELETE', `/v1/lists/${news.id}/contacts/${contactId}`);
    expect(left.status).toBe(200);
    expect(left.body).toMatchObject({ contact_id: contactId, status: 'unsubscribed', unsubscribed_at: expect.any(String) });
    expect(await getContact(key, contactId)).toMatchObject({ subscribed: true, lists: [offers.id] });
    expect((await api(key, 'DELETE', `/v1/lists/${news.id}/contacts/${contactId}`)).body.status).toBe('unsubscribed');
    expectError(await api(key, 'DELETE', `/v1/lists/${news.id}/contacts/${newId('contact')}`), 404, 'not_found');

    // Deliveries arrive in any order: wait for both events of the unsubscription, not for a count.
    const events = await eventually(async () => {
      const got = receiver.at('/lists-unsub').map((r) => JSON.parse(r.body));
      const left = got.some((e) => e.type === 'contact.updated' && e.data.list?.status === 'unsubscribed');
      return got.some((e) => e.type === 'contact.unsubscribed') && left && got.length >= 3 && got;
    }, 10_000);
    expect(events.find((e) => e.type === 'contact.unsubscribed').data).toEqual({ contact_id: contactId, email, url: `/v1/contacts/${contactId}`, scope: news.id });
    const last = events.filter((e) => e.type === 'contact.updated').find((e) => e.data.list.status === 'unsubscribed');
    expect(last.data).toMatchObject({ contact_id: contactId, lists: [offers.id], list: { id: news.id, status: 'unsubscribed' } });

    // Back on the list: a re-subscription, not a first one.
    const back = await api(key, 'POST', `/v1/lists/${news.id}/contacts`, { email });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ status: 'subscribed', first_subscription: false, unsubscribed_at: null });
  });

  it('the one-click unsubscribe link marks the team’s contact unsubscribed from everything', async () => {
    const { team, adminKey: key } = await createTeam(stack, 'lists-unsub-all');
    await api(key, 'POST', '/v1/webhooks', { url: `${receiver.url}/unsub-all`, event_types: ['contact.unsubscribed'] });
    const email = 'success@simulator.amazonses.com';
    const contactId = (await api(key, 'POST', '/v1/identify', { email })).body.contact_id;
    const sent = await api(key, 'POST', '/v1/emails', { from: FROM, to: email, subject: 'News', text: 'news', list_unsubscribe: true });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const token = await unsubscribeToken({ team_id: team.id, email, email_id: sent.body.id });
    const res = await rawCall(stack.url, 'POST', `/v1/unsubscribe/${token}`, { body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    expect(await getContact(key, contactId)).toMatchObject({ subscribed: false, unsubscribed_at: expect.any(String) });
    const event = await eventually(async () => receiver.at('/unsub-all')[0], 10_000);
    expect(JSON.parse(event.body).data).toMatchObject({ contact_id: contactId, scope: 'all' });
  });
});

describe('members', () => {
  it('lists subscribed, then pending, then unsubscribed members, filters by status and pages with a cursor', async () => {
    const { adminKey: key } = await createTeam(stack, 'lists-members');
    const list = await createList(key);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api(key, 'POST', `/v1/lists/${list.id}/contacts`, { email: uniqueEmail() })).body.contact_id);
    await api(key, 'DELETE', `/v1/lists/${list.id}/contacts/${ids[1]}`);
    await api(key, 'PATCH', `/v1/lists/${list.id}`, { double_opt_in: true, confirmation: { from: FROM } });
    const pending = (await api(key, 'POST', `/v1/lists/${list.id}/contacts`, { email: uniqueEmail() })).body;
    expect(pending.status).toBe('pending');

    const all = await members(key, list.id, '?limit=100');
    expect(all.data.map((m: { contact_id: string; status: string }) => [m.contact_id, m.status])).toEqual([
      [ids[2], 'subscribed'],
      [ids[0], 'subscribed'],
      [pending.contact_id, 'pending'],
      [ids[1], 'unsubscribed'],
    ]);
    expect((await members(key, list.id, '?status=subscribed')).data.map((m: { contact_id: string }) => m.contact_id)).toEqual([ids[2], ids[0]]);
    expect((await members(key, list.id, '?status=unsubscribed')).data.map((m: { contact_id: string }) => m.contact_id)).toEqual([ids[1]]);
    const page1 = await members(key, list.id, '?status=subscribed&limit=1');
    expect(page1.data.map((m: { contact_id: string }) => m.contact_id)).toEqual([ids[2]]);
    const page2 = await members(key, list.id, `?status=subscribed&limit=1&cursor=${page1.next_cursor}`);
    expect(page2.data.map((m: { contact_id: string }) => m.contact_id)).toEqual([ids[0]]);
    expectError(await api(key, 'GET', `/v1/lists/${list.id}/contacts?status=gone`), 422, 'validation_error');
  });

  it('deleting a list takes it out of every member’s lists in the background', async () => {
    const { adminKey: key } = await createTeam(stack, 'lists-sweep');
    const [doomed, kept] = await Promise.all([createList(key), createList(key)]);
    const ids = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const id = (await api(key, 'POST', '/v1/identify', { email: uniqueEmail(), list_id: doomed.id })).body.contact_id;
        await api(key, 'POST', `/v1/lists/${kept.id}/contacts`, { contact_id: id });
        return id as string;
      }),
    );
    expect((await api(key, 'DELETE', `/v1/lists/${doomed.id}`)).status).toBe(200);
    expectError(await api(key, 'GET', `/v1/lists/${doomed.id}/contacts`), 404, 'not_found');
    await expectEventually(async () => {
      for (const id of ids) expect((await getContact(key, id)).lists).toEqual([kept.id]);
    }, 15_000);
    expect((await members(key, kept.id)).data).toHaveLength(5);
  });
});

describe('signup campaigns', () => {
  const launchSignupCampaign = async (key: string, listId: string, name: string) => {
    const created = await api(key, 'POST', '/v1/campaigns', { kind: 'triggered', name, trigger: { list_id: listId }, steps: [{ type: 'update_contact', tags: ['welcomed'] }] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await api(key, 'POST', `/v1/campaigns/${created.body.id}/launch`)).status).toBe(200);
    return created.body.id as string;
  };
  const enrolled = async (key: string, campaignId: string) =>
    (await api(key, 'GET', `/v1/campaigns/${campaignId}/enrollments?limit=100`)).body.data.map((e: { contact_id: string }) => e.contact_id);

  it('a first subscription enrols the contact in the list’s signup campaigns; a re-subscription does not', async () => {
    const { adminKey: key } = await createTeam(stack, 'lists-signup');
    const list = await createList(key);
    const campaignId = await launchSignupCampaign(key, list.id, 'Welcome series');
    const email = uniqueEmail();
    const first = await api(key, 'POST', '/v1/identify', { email, list_id: list.id });
    expect(first.body).toMatchObject({ list: { first_subscription: true }, enrolled_campaigns: ['Welcome series'] });
    const contactId = first.body.contact_id;
    expect(await enrolled(key, campaignId)).toEqual([contactId]);

    expect((await api(key, 'DELETE', `/v1/lists/${list.id}/contacts/${contactId}`)).status).toBe(200);
    const again = await api(key, 'POST', `/v1/lists/${list.id}/contacts`, { contact_id: contactId });
    expect(again.body).toMatchObject({ status: 'subscribed', first_subscription: false, enrolled_campaigns: [] });
    expect(await enrolled(key, campaignId)).toEqual([contactId]);
  });

  it('on a double opt-in list, the confirmation click is the first subscription that enrols', async () => {
    const { adminKey: key } = await createTeam(stack, 'lists-signup-doi');
    const subject = `Confirm signup ${Date.now()}`;
    const list = await createList(key, { double_opt_in: true, confirmation: { from: FROM, subject } });
    const campaignId = await launchSignupCampaign(key, list.id, 'Onboarding');
    const email = uniqueEmail();
    const pending = await api(key, 'POST', '/v1/identify', { email, list_id: list.id });
    expect(pending.body).toMatchObject({ list: { status: 'pending', first_subscription: false }, enrolled_campaigns: [] });
    expect(await enrolled(key, campaignId)).toEqual([]);
    const [mail] = await capturedMail(subject, email);
    const confirmed = await call(stack.url, 'GET', pathOf(linkIn(mail!.body.text!)));
    expect(confirmed.body).toMatchObject({ confirmed: true, already_confirmed: false, enrolled_campaigns: ['Onboarding'] });
    expect(await enrolled(key, campaignId)).toEqual([pending.body.contact_id]);
  });
});
