/**
 * Segments through the HTTP API: saved conditions, previews that follow the contacts as they change, paging
 * without gaps or repeats, counts (exact, or a lower bound when the scan limit stops them), and segments
 * that read only one list's members.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { withEnv } from '../support/env.js';
import { expectError } from '../support/http.js';

let stack: LocalStack;
let key: string;
const ids: Record<string, string> = {};

const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(stack.url, method, path, { key, body, headers });

async function identify(name: string, body: Record<string, unknown> = {}) {
  const res = await api('POST', '/v1/identify', { email: `${name}-${Date.now().toString(36)}@example.com`, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  ids[name] = res.body.contact_id;
  return res.body.contact_id as string;
}

async function createSegment(filter: unknown, name = 'segment') {
  const res = await api('POST', '/v1/segments', { name, filter });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Every page of the segment's contacts, following next_cursor. */
async function allPages(segmentId: string, limit: number) {
  const pages: any[] = [];
  let cursor: string | null = null;
  do {
    const res = await api('GET', `/v1/segments/${segmentId}/contacts?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    pages.push(res.body);
    cursor = res.body.next_cursor;
  } while (cursor);
  return pages;
}

const namesOf = (contacts: { id: string }[]) => contacts.map((c) => Object.keys(ids).find((name) => ids[name] === c.id) ?? c.id).sort();

beforeAll(async () => {
  stack = await startLocalStack({ withWorkers: false });
  key = (await createTeam(stack, 'segments')).adminKey;
  await identify('ann', { properties: { plan: 'pro', seats: 10, company: { city: 'Berlin' } }, tags: ['vip'] });
  await identify('bob', { properties: { plan: 'pro', seats: 2 }, tags: ['trial'] });
  await identify('cat', { properties: { plan: 'free', seats: 1 }, tags: ['vip'] });
  await identify('dan', { properties: { plan: 'pro', seats: 50, company: { city: 'Paris' } }, tags: ['vip'] });
  await identify('eve', { properties: { plan: 'enterprise' } });
  await identify('fay', { properties: { plan: 'pro', seats: 7 }, tags: ['vip'] });
  expect((await api('PATCH', `/v1/contacts/${ids.fay}`, { subscribed: false })).status).toBe(200);
});
afterAll(() => stack.stop());

describe('segment definitions', () => {
  it('are created, read, listed, changed with If-Match and deleted', async () => {
    const created = await createSegment({ type: 'tag', tag: 'vip' }, 'VIPs');
    expect(created).toMatchObject({ id: expect.stringMatching(/^seg_/), name: 'VIPs', description: null, filter: { type: 'tag', tag: 'vip', op: 'has' }, source_list_id: null, version: 1 });
    expect((await api('GET', `/v1/segments/${created.id}`)).body).toEqual(created);
    expect((await api('GET', '/v1/segments?limit=100')).body.data.map((s: any) => s.id)).toContain(created.id);

    const changed = await api('PATCH', `/v1/segments/${created.id}`, { description: 'Our best', filter: { type: 'tag', tag: 'trial' } }, { 'if-match': '"1"' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ description: 'Our best', filter: { type: 'tag', tag: 'trial' }, version: 2 });
    expectError(await api('PATCH', `/v1/segments/${created.id}`, { name: 'stale' }, { 'if-match': '"1"' }), 409, 'conflict');
    expect((await api('PATCH', `/v1/segments/${created.id}`, { description: null })).body.description).toBeNull();

    expect((await api('DELETE', `/v1/segments/${created.id}`)).status).toBe(200);
    expectError(await api('GET', `/v1/segments/${created.id}`), 404, 'not_found');
    expectError(await api('GET', `/v1/segments/${created.id}/contacts`), 404, 'not_found');
  });

  it('refuses conditions that are too big or too deep, naming the field', async () => {
    const tooMany = { type: 'any', conditions: Array.from({ length: 30 }, (_, i) => ({ type: 'tag', tag: `t${i}` })) };
    expectError(await api('POST', '/v1/segments', { name: 'huge', filter: tooMany }), 422, 'validation_error');
    const res = await api('POST', '/v1/segments', { name: 'bad', filter: { type: 'all', conditions: [{ type: 'property', key: 'plan', op: 'eq' }] } });
    expectError(res, 422, 'validation_error');
    expect(JSON.stringify(res.body)).toContain('filter.conditions.0.value');
  });
});

describe('segment contacts', () => {
  it('are the contacts that match now, with their count', async () => {
    const segment = await createSegment({
      type: 'all',
      conditions: [
        { type: 'property', key: 'plan', op: 'eq', value: 'pro' },
        { type: 'subscribed', value: true },
        { type: 'any', conditions: [{ type: 'tag', tag: 'vip' }, { type: 'property', key: 'seats', op: 'gte', value: 5 }] },
        { type: 'not', condition: { type: 'property', key: 'company.city', op: 'eq', value: 'Paris' } },
      ],
    });
    const res = await api('GET', `/v1/segments/${segment.id}/contacts`);
    expect(res.status).toBe(200);
    expect(namesOf(res.body.data)).toEqual(['ann']);
    expect(res.body).toMatchObject({ count: 1, count_exact: true, next_cursor: null });
    expect(res.body.data[0]).toMatchObject({ id: ids.ann, properties: { plan: 'pro' } });

    // bob gets more seats: he matches from now on, with nothing to rebuild.
    expect((await api('PATCH', `/v1/contacts/${ids.bob}`, { properties: { seats: 9 } })).status).toBe(200);
    const after = await api('GET', `/v1/segments/${segment.id}/contacts`);
    expect(namesOf(after.body.data)).toEqual(['ann', 'bob']);
    expect(after.body.count).toBe(2);
  });

  it('page through every match once, however small the pages; the count comes with the first page', async () => {
    const segment = await createSegment({ type: 'property', key: 'plan', op: 'exists' });
    const expected = ['ann', 'bob', 'cat', 'dan', 'eve', 'fay'];
    for (const limit of [1, 2, 4, 100]) {
      const pages = await allPages(segment.id, limit);
      const seen = pages.flatMap((p) => p.data);
      expect(namesOf(seen), `limit ${limit}`).toEqual(expected);
      expect(new Set(seen.map((c: any) => c.id)).size).toBe(seen.length);
      for (const page of pages) expect(page.data.length).toBeLessThanOrEqual(limit);
      expect(pages[0]).toMatchObject({ count: 6, count_exact: true });
      for (const page of pages.slice(1)) expect(page).toMatchObject({ count: null, count_exact: null });
    }
    // Sparse matches: pages still never skip one.
    const sparse = await createSegment({ type: 'any', conditions: [{ type: 'property', key: 'plan', op: 'eq', value: 'enterprise' }, { type: 'property', key: 'seats', op: 'eq', value: 1 }] });
    expect(namesOf((await allPages(sparse.id, 1)).flatMap((p) => p.data))).toEqual(['cat', 'eve']);
  });

  it('say when the count is only a lower bound because the scan limit stopped it', async () => {
    const segment = await createSegment({ type: 'property', key: 'plan', op: 'exists' });
    const res = await withEnv({ SEGMENT_COUNT_SCAN_LIMIT: '2' }, () => api('GET', `/v1/segments/${segment.id}/contacts?limit=100`));
    expect(res.body.data).toHaveLength(6);
    expect(res.body.count_exact).toBe(false);
    expect(res.body.count).toBeLessThan(6);
    expect(res.body.count).toBeGreaterThan(0);
  });

  it('refuses a cursor from another kind of segment instead of reading elsewhere', async () => {
    const segment = await createSegment({ type: 'property', key: 'plan', op: 'exists' });
    const first = await api('GET', `/v1/segments/${segment.id}/contacts?limit=1`);
    const bogus = Buffer.from(JSON.stringify({ gsi1pk: 'TEAM#team_other#CONTACTS', gsi1sk: 'ct_x' })).toString('base64url');
    expectError(await api('GET', `/v1/segments/${segment.id}/contacts?cursor=${bogus}`), 400, 'invalid_parameter');
    expect(first.body.next_cursor).toEqual(expect.any(String));
  });
});

describe('segments on a list', () => {
  it('read only the list members, and still apply the rest of the filter', async () => {
    const list = await api('POST', '/v1/lists', { name: `Newsletter ${Date.now()}` });
    expect(list.status, JSON.stringify(list.body)).toBe(201);
    for (const name of ['ann', 'bob', 'cat']) {
      const res = await api('POST', `/v1/lists/${list.body.id}/contacts`, { contact_id: ids[name] });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    }
    const segment = await createSegment({ type: 'all', conditions: [{ type: 'list', list_id: list.body.id }, { type: 'tag', tag: 'vip' }] });
    expect(segment.source_list_id).toBe(list.body.id);
    // Members are read from the list's index (eventually consistent on AWS).
    const pages = await allPages(segment.id, 1);
    expect(namesOf(pages.flatMap((p) => p.data))).toEqual(['ann', 'cat']);
    expect(pages[0]).toMatchObject({ count: 2, count_exact: true });

    // VIPs not subscribed to the list.
    const outside = await createSegment({ type: 'all', conditions: [{ type: 'list', list_id: list.body.id, op: 'not_subscribed' }, { type: 'tag', tag: 'vip' }] });
    expect(outside.source_list_id).toBeNull();
    expect(namesOf((await api('GET', `/v1/segments/${outside.id}/contacts`)).body.data)).toEqual(['dan', 'fay']);

    // A deleted list has no members: its segment matches nobody rather than failing.
    expect((await api('DELETE', `/v1/lists/${list.body.id}`)).status).toBe(200);
    expect((await api('GET', `/v1/segments/${segment.id}/contacts`)).body).toMatchObject({ data: [], count: 0, count_exact: true });
  });
});
