import { describe, expect, it } from 'vitest';
import { evaluateCondition, propertyAt, requiredListId } from '../../functions/domain/conditions.js';
import { Condition, MAX_CONDITION_DEPTH, MAX_CONDITION_NODES } from '../../functions/schemas/conditions.js';
import type { Contact } from '../../functions/schemas/contacts.js';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW - days * 86_400_000).toISOString();
const LIST = 'lst_01jz0000000000000000000000';
const OTHER_LIST = 'lst_01jz0000000000000000000001';

const contact: Contact = {
  id: 'ct_01jz0000000000000000000000',
  email: 'ann@example.com',
  first_name: 'Ann',
  last_name: null,
  properties: {
    plan: 'pro',
    seats: 12,
    trial: false,
    signed_up: '2025-06-01T00:00:00.000Z',
    nickname: null,
    interests: ['golf', 'chess', 3],
    company: { name: 'Acme Corp', address: { city: 'Berlin' } },
  },
  tags: ['vip', 'beta'],
  source: null,
  timezone: null,
  subscribed: true,
  unsubscribed_at: null,
  lists: [LIST],
  event_summary: {
    purchase: { count: 3, first_at: daysAgo(40), last_at: daysAgo(2) },
    login: { count: 1, first_at: daysAgo(100), last_at: daysAgo(100) },
  },
  created_at: daysAgo(300),
  updated_at: daysAgo(1),
  version: 4,
};

/** Parsed like a stored segment filter (defaults applied), then evaluated against `contact` at NOW. */
const matches = (condition: unknown, who: Contact = contact) => evaluateCondition(Condition.parse(condition), who, NOW);
const prop = (key: string, op: string, value?: unknown) => ({ type: 'property', key, op, ...(value !== undefined && { value }) });

describe('property conditions', () => {
  it.each([
    ['eq string', prop('plan', 'eq', 'pro'), true],
    ['eq string, other value', prop('plan', 'eq', 'free'), false],
    ['eq is case-sensitive', prop('plan', 'eq', 'PRO'), false],
    ['eq number', prop('seats', 'eq', 12), true],
    ['eq boolean', prop('trial', 'eq', false), true],
    ['neq', prop('plan', 'neq', 'free'), true],
    ['neq, same value', prop('plan', 'neq', 'pro'), false],
    ['neq on a missing property holds', prop('missing', 'neq', 'pro'), true],
    ['gt number', prop('seats', 'gt', 11), true],
    ['gt number, equal', prop('seats', 'gt', 12), false],
    ['gte number, equal', prop('seats', 'gte', 12), true],
    ['lt number', prop('seats', 'lt', 13), true],
    ['lt number, equal', prop('seats', 'lt', 12), false],
    ['lte number, equal', prop('seats', 'lte', 12), true],
    ['lte number, smaller', prop('seats', 'lte', 11), false],
    ['ISO dates compare by time (gte)', prop('signed_up', 'gte', '2025-01-01'), true],
    ['ISO dates compare by time (lt)', prop('signed_up', 'lt', '2025-01-01'), false],
    ['contains in a string, case-insensitive', prop('company.name', 'contains', 'acme'), true],
    ['contains in a string, absent', prop('company.name', 'contains', 'globex'), false],
    ['contains in an array, exact element', prop('interests', 'contains', 'golf'), true],
    ['contains in an array is not a substring match', prop('interests', 'contains', 'gol'), false],
    ['contains a number in an array', prop('interests', 'contains', 3), true],
    ['exists', prop('plan', 'exists'), true],
    ['exists on a missing property', prop('missing', 'exists'), false],
    ['exists on a null property', prop('nickname', 'exists'), false],
    ['not_exists on a missing property', prop('missing', 'not_exists'), true],
    ['not_exists on a null property', prop('nickname', 'not_exists'), true],
    ['not_exists on a present property', prop('plan', 'not_exists'), false],
    ['dotted path into nested objects', prop('company.address.city', 'eq', 'Berlin'), true],
    ['dotted path through a missing object', prop('billing.address.city', 'exists'), false],
    ['dotted path through a non-object', prop('plan.length', 'exists'), false],
  ])('%s', (_name, condition, expected) => {
    expect(matches(condition)).toBe(expected);
  });

  it.each([
    ['a number compared with a string', prop('seats', 'gt', '10')],
    ['a string compared with a number', prop('plan', 'lt', 5)],
    ['a boolean ordered', prop('trial', 'lt', true)],
    ['an object ordered', prop('company', 'gte', 'a')],
    ['a missing property ordered', prop('missing', 'gt', 0)],
    ['a number equal to its string form', prop('seats', 'eq', '12')],
    ['contains on a number', prop('seats', 'contains', '1')],
    ['contains on an object', prop('company', 'contains', 'Acme')],
    ['contains a number in a string', prop('company.name', 'contains', 1)],
  ])('a type mismatch is false, never an error: %s', (_name, condition) => {
    expect(matches(condition)).toBe(false);
  });

  it('propertyAt reads nested paths and never throws', () => {
    expect(propertyAt(contact.properties, 'company.address.city')).toBe('Berlin');
    expect(propertyAt(contact.properties, 'interests.0')).toBeUndefined();
    expect(propertyAt({}, 'a.b.c')).toBeUndefined();
  });
});

describe('tag, list and subscription conditions', () => {
  it.each([
    ['has a tag', { type: 'tag', tag: 'vip' }, true],
    ['has is the default op', { type: 'tag', tag: 'churned' }, false],
    ['lacks a tag it has', { type: 'tag', tag: 'vip', op: 'lacks' }, false],
    ['lacks a tag it does not have', { type: 'tag', tag: 'churned', op: 'lacks' }, true],
    ['tags match exactly (case-sensitive)', { type: 'tag', tag: 'VIP' }, false],
    ['subscribed to a list', { type: 'list', list_id: LIST }, true],
    ['subscribed to another list', { type: 'list', list_id: OTHER_LIST }, false],
    ['not_subscribed to a list it is on', { type: 'list', list_id: LIST, op: 'not_subscribed' }, false],
    ['not_subscribed to another list', { type: 'list', list_id: OTHER_LIST, op: 'not_subscribed' }, true],
    ['subscribed: true', { type: 'subscribed', value: true }, true],
    ['subscribed: false', { type: 'subscribed', value: false }, false],
  ])('%s', (_name, condition, expected) => {
    expect(matches(condition)).toBe(expected);
  });

  it('an unsubscribed contact matches subscribed: false', () => {
    expect(matches({ type: 'subscribed', value: false }, { ...contact, subscribed: false, unsubscribed_at: daysAgo(1) })).toBe(true);
  });
});

describe('event conditions', () => {
  it.each([
    ['performed (ever)', { type: 'event', event: 'purchase' }, true],
    ['never performed', { type: 'event', event: 'refund' }, false],
    ['not_performed an event it never did', { type: 'event', event: 'refund', op: 'not_performed' }, true],
    ['not_performed an event it did', { type: 'event', event: 'purchase', op: 'not_performed' }, false],
    ['within_days: last time inside the window', { type: 'event', event: 'purchase', within_days: 7 }, true],
    ['within_days: last time exactly on the edge', { type: 'event', event: 'purchase', within_days: 2 }, true],
    ['within_days: last time before the window', { type: 'event', event: 'purchase', within_days: 1 }, false],
    ['within_days: long ago', { type: 'event', event: 'login', within_days: 30 }, false],
    ['not_performed within_days: inactive for 30 days', { type: 'event', event: 'login', op: 'not_performed', within_days: 30 }, true],
    ['not_performed within_days: active recently', { type: 'event', event: 'purchase', op: 'not_performed', within_days: 30 }, false],
    ['min_count reached', { type: 'event', event: 'purchase', min_count: 3 }, true],
    ['min_count not reached', { type: 'event', event: 'purchase', min_count: 4 }, false],
    ['min_count on an event never performed', { type: 'event', event: 'refund', min_count: 1 }, false],
    ['min_count and within_days both hold', { type: 'event', event: 'purchase', min_count: 2, within_days: 7 }, true],
    ['min_count holds but within_days does not', { type: 'event', event: 'purchase', min_count: 2, within_days: 1 }, false],
    ['within_days holds but min_count does not', { type: 'event', event: 'purchase', min_count: 5, within_days: 7 }, false],
    ['not_performed with min_count: fewer than that many times', { type: 'event', event: 'purchase', op: 'not_performed', min_count: 5 }, true],
  ])('%s', (_name, condition, expected) => {
    expect(matches(condition)).toBe(expected);
  });

  it('a contact without any event history', () => {
    const fresh = { ...contact, event_summary: {} };
    expect(matches({ type: 'event', event: 'purchase' }, fresh)).toBe(false);
    expect(matches({ type: 'event', event: 'purchase', op: 'not_performed', within_days: 7 }, fresh)).toBe(true);
  });
});

describe('groups', () => {
  const yes = prop('plan', 'eq', 'pro');
  const no = prop('plan', 'eq', 'free');

  it.each([
    ['all of true conditions', { type: 'all', conditions: [yes, yes] }, true],
    ['all with one false', { type: 'all', conditions: [yes, no] }, false],
    ['any with one true', { type: 'any', conditions: [no, yes] }, true],
    ['any of false conditions', { type: 'any', conditions: [no, no] }, false],
    ['not of true', { type: 'not', condition: yes }, false],
    ['not of false', { type: 'not', condition: no }, true],
    ['not not', { type: 'not', condition: { type: 'not', condition: yes } }, true],
    [
      'nested: pro VIPs, or anyone who bought 3 times in the last week, but not in Paris',
      {
        type: 'all',
        conditions: [
          { type: 'any', conditions: [{ type: 'all', conditions: [yes, { type: 'tag', tag: 'vip' }] }, { type: 'event', event: 'purchase', min_count: 3, within_days: 7 }] },
          { type: 'not', condition: prop('company.address.city', 'eq', 'Paris') },
        ],
      },
      true,
    ],
    [
      'nested: one false leaf deep inside an all',
      { type: 'all', conditions: [yes, { type: 'any', conditions: [no, { type: 'all', conditions: [yes, { type: 'tag', tag: 'churned' }] }] }] },
      false,
    ],
  ])('%s', (_name, condition, expected) => {
    expect(matches(condition)).toBe(expected);
  });
});

describe('the schema', () => {
  it.each([
    ['a value for an operator that needs one', prop('plan', 'eq')],
    ['no value for exists', prop('plan', 'exists', 'x')],
    ['an unknown operator', prop('plan', 'like', 'p%')],
    ['an empty group', { type: 'all', conditions: [] }],
    ['an unknown type', { type: 'segment', id: 'seg_x' }],
    ['a list id that is not one', { type: 'list', list_id: 'newsletter' }],
    ['a bad event name', { type: 'event', event: 'has space' }],
    ['zero days', { type: 'event', event: 'x', within_days: 0 }],
    ['an unknown field', { type: 'tag', tag: 'vip', extra: true }],
  ])('refuses %s', (_name, condition) => {
    expect(Condition.safeParse(condition).success).toBe(false);
  });

  it(`bounds trees to ${MAX_CONDITION_NODES} nodes and ${MAX_CONDITION_DEPTH} levels`, () => {
    const leaf = { type: 'tag', tag: 'vip' };
    expect(Condition.safeParse({ type: 'any', conditions: Array(MAX_CONDITION_NODES - 1).fill(leaf) }).success).toBe(true);
    expect(Condition.safeParse({ type: 'any', conditions: Array(MAX_CONDITION_NODES).fill(leaf) }).success).toBe(false);
    let deep: object = leaf;
    for (let i = 1; i < MAX_CONDITION_DEPTH; i++) deep = { type: 'not', condition: deep };
    expect(Condition.safeParse(deep).success).toBe(true);
    expect(Condition.safeParse({ type: 'not', condition: deep }).success).toBe(false);
  });
});

describe('requiredListId: when only one list has to be read', () => {
  const list = { type: 'list', list_id: LIST };
  it.each([
    ['a list condition alone', list, LIST],
    ['a list condition inside a top-level all', { type: 'all', conditions: [prop('plan', 'eq', 'pro'), list] }, LIST],
    ['inside an all nested in an all', { type: 'all', conditions: [{ type: 'all', conditions: [{ type: 'tag', tag: 'vip' }, list] }] }, LIST],
    ['not_subscribed needs everyone', { type: 'list', list_id: LIST, op: 'not_subscribed' }, undefined],
    ['inside an any, other contacts may match', { type: 'any', conditions: [list, { type: 'tag', tag: 'vip' }] }, undefined],
    ['under a not', { type: 'not', condition: list }, undefined],
    ['no list at all', prop('plan', 'eq', 'pro'), undefined],
    ['an all inside an any', { type: 'any', conditions: [{ type: 'all', conditions: [list] }, { type: 'tag', tag: 'vip' }] }, undefined],
  ])('%s', (_name, condition, expected) => {
    expect(requiredListId(Condition.parse(condition))).toBe(expected);
  });
});
