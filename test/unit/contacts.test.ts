import { describe, expect, it } from 'vitest';
import { applyIdentify, applyUpdate, mergeProperties } from '../../functions/domain/contacts.js';
import { IdentifyBody, type Contact } from '../../functions/schemas/contacts.js';

const now = '2026-11-22T10:00:00.000Z';
const stored: Contact = {
  id: 'ct_01jz0000000000000000000000',
  email: 'alex@acme.com',
  first_name: 'Alex',
  last_name: 'Smith',
  properties: { plan: 'free', company: { name: 'Acme', size: 10 } },
  tags: ['trial'],
  source: 'signup',
  timezone: 'Europe/Berlin',
  subscribed: true,
  unsubscribed_at: null,
  lists: [],
  event_summary: {},
  created_at: now,
  updated_at: now,
  version: 3,
};
const identify = (body: Record<string, unknown>) => applyIdentify(stored, IdentifyBody.parse({ email: 'alex@acme.com', ...body }), { id: 'ct_new', now });

describe('identify merge semantics', () => {
  it.each([
    ['email is the key and never changes', { email: 'ALEX@acme.com' }, { email: 'alex@acme.com' }],
    ['first_name is overwritten by a non-empty value', { first_name: 'Alexandra' }, { first_name: 'Alexandra' }],
    ['first_name is kept when the new one is empty', { first_name: '' }, { first_name: 'Alex' }],
    ['first_name is kept when null', { first_name: null }, { first_name: 'Alex' }],
    ['last_name is overwritten by a non-empty value', { last_name: 'Lee' }, { last_name: 'Lee' }],
    ['last_name is kept when blank', { last_name: '   ' }, { last_name: 'Smith' }],
    ['properties: new keys are added', { properties: { seats: 5 } }, { properties: { plan: 'free', company: { name: 'Acme', size: 10 }, seats: 5 } }],
    ['properties: given keys are replaced', { properties: { plan: 'pro' } }, { properties: { plan: 'pro', company: { name: 'Acme', size: 10 } } }],
    ['properties: nested objects merge deeply', { properties: { company: { size: 50 } } }, { properties: { plan: 'free', company: { name: 'Acme', size: 50 } } }],
    ['properties: null removes a key', { properties: { plan: null } }, { properties: { company: { name: 'Acme', size: 10 } } }],
    ['properties: left out, nothing changes', {}, { properties: stored.properties }],
    ['tags are appended without duplicates', { tags: ['paying', 'trial', 'paying'] }, { tags: ['trial', 'paying'] }],
    ['source is kept from the first identify', { source: 'import' }, { source: 'signup' }],
    ['timezone is replaced when given', { timezone: 'America/New_York' }, { timezone: 'America/New_York' }],
  ])('%s', (_label, body, expected) => {
    expect(identify(body)).toMatchObject(expected);
  });

  it('creates a subscribed contact with the given values on the first identify', () => {
    const created = applyIdentify(undefined, IdentifyBody.parse({ email: 'New@Example.com', first_name: 'Ann', tags: ['a', 'a'], source: 'api' }), { id: 'ct_new', now });
    expect(created).toMatchObject({ id: 'ct_new', email: 'new@example.com', first_name: 'Ann', tags: ['a'], source: 'api', subscribed: true, properties: {}, version: 0 });
  });
});

describe('contact updates', () => {
  it('unsubscribing records when; subscribing again clears it', () => {
    const off = applyUpdate(stored, { subscribed: false }, now);
    expect(off).toMatchObject({ subscribed: false, unsubscribed_at: now });
    expect(applyUpdate(off, { subscribed: true }, now)).toMatchObject({ subscribed: true, unsubscribed_at: null });
  });

  it('replaces tags and merges properties', () => {
    expect(applyUpdate(stored, { tags: ['vip'], properties: { plan: 'pro' } }, now)).toMatchObject({ tags: ['vip'], properties: { plan: 'pro', company: { name: 'Acme', size: 10 } } });
  });

  it('merge patch replaces arrays and scalars instead of merging them', () => {
    expect(mergeProperties({ list: [1, 2], n: 1 }, { list: [3], n: { a: 1 } })).toEqual({ list: [3], n: { a: 1 } });
  });
});
