/**
 * Evaluates the condition language (schemas/conditions.ts) against one contact: pure, no I/O. Comparisons
 * follow the value's type: numbers compare numerically, strings lexically (so ISO dates compare by time);
 * a type mismatch is simply false, never an error.
 */
import type { Condition } from '../schemas/conditions.js';
import type { Contact } from '../schemas/contacts.js';

const DAY_MS = 86_400_000;

export function propertyAt(properties: Record<string, unknown>, path: string): unknown {
  let value: unknown = properties;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function compare(actual: unknown, expected: string | number | boolean): number | undefined {
  if (typeof actual === 'number' && typeof expected === 'number') return actual - expected;
  if (typeof actual === 'string' && typeof expected === 'string') return actual < expected ? -1 : actual > expected ? 1 : 0;
  return undefined;
}

function propertyMatches(actual: unknown, op: string, expected: string | number | boolean | undefined): boolean {
  switch (op) {
    case 'exists':
      return actual !== undefined && actual !== null;
    case 'not_exists':
      return actual === undefined || actual === null;
    case 'eq':
      return actual === expected;
    case 'neq':
      return actual !== expected;
    case 'contains':
      if (typeof actual === 'string' && typeof expected === 'string') return actual.toLowerCase().includes(expected.toLowerCase());
      return Array.isArray(actual) && actual.includes(expected);
    default: {
      const order = compare(actual, expected!);
      if (order === undefined) return false;
      return op === 'gt' ? order > 0 : op === 'gte' ? order >= 0 : op === 'lt' ? order < 0 : order <= 0;
    }
  }
}

export function evaluateCondition(condition: Condition, contact: Contact, now = Date.now()): boolean {
  switch (condition.type) {
    case 'all':
      return condition.conditions.every((c) => evaluateCondition(c, contact, now));
    case 'any':
      return condition.conditions.some((c) => evaluateCondition(c, contact, now));
    case 'not':
      return !evaluateCondition(condition.condition, contact, now);
    case 'property':
      return propertyMatches(propertyAt(contact.properties, condition.key), condition.op, condition.value);
    case 'tag':
      return contact.tags.includes(condition.tag) === (condition.op === 'has');
    case 'list':
      return contact.lists.includes(condition.list_id) === (condition.op === 'subscribed');
    case 'subscribed':
      return contact.subscribed === condition.value;
    case 'event': {
      const seen = contact.event_summary[condition.event];
      const performed =
        seen !== undefined &&
        (condition.within_days === undefined || Date.parse(seen.last_at) >= now - condition.within_days * DAY_MS) &&
        (condition.min_count === undefined || seen.count >= condition.min_count);
      return performed === (condition.op === 'performed');
    }
  }
}

/**
 * The list a contact must be subscribed to for the condition to hold, if the condition says so at its top
 * (the condition itself, or one member of a top-level `all`, nested `all`s included). Evaluating such a
 * condition only needs that list's members, not every contact of the team.
 */
export function requiredListId(condition: Condition): string | undefined {
  if (condition.type === 'list') return condition.op === 'subscribed' ? condition.list_id : undefined;
  if (condition.type !== 'all') return undefined;
  for (const member of condition.conditions) {
    const listId = requiredListId(member);
    if (listId) return listId;
  }
  return undefined;
}
