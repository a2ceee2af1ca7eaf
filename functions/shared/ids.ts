import { createHash } from 'node:crypto';
import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** Prefixes of public ids; the suffix is a ULID so ids sort by creation time. */
export const ID_PREFIX = {
  team: 'team',
  apiKey: 'key',
  audit: 'aud',
  email: 'em',
  template: 'tpl',
  domain: 'dom',
  inbox: 'ib',
  message: 'msg',
  thread: 'th',
  request: 'req',
  event: 'evt',
  webhook: 'wh',
  webhookAttempt: 'wha',
  bucket: 'bkt',
  contact: 'ct',
  contactEvent: 'cev',
  list: 'lst',
  campaign: 'cmp',
  segment: 'seg',
  contactImport: 'imp',
  conversion: 'cnv',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/** The ULID time part: 10 Crockford base-32 characters of milliseconds since the epoch. */
function encodeTime(time: number): string {
  let encoded = '';
  for (let t = time, i = 0; i < 10; i++, t = Math.floor(t / 32)) encoded = CROCKFORD[t % 32] + encoded;
  return encoded;
}

/**
 * A time-sortable id whose random part is derived from `seed`: the same event processed twice (a
 * redelivered queue message) gets the same id, so a conditional put makes the work idempotent.
 */
export function deterministicId(kind: IdKind, time: number, seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[digest[i]! % 32];
  return `${ID_PREFIX[kind]}_${encodeTime(time)}${random}`;
}

/**
 * The lowest (or highest) id of `kind` that can be minted at `time`: ids sort by time, so a key range
 * between two boundaries is a time range (`since`/`until` filters).
 */
export function idBoundary(kind: IdKind, time: number, edge: 'low' | 'high'): string {
  return `${ID_PREFIX[kind]}_${encodeTime(time)}${(edge === 'low' ? '0' : 'z').repeat(16)}`;
}

/** When an id was minted (its ULID time part), in milliseconds since the epoch. */
export function idTime(id: string): number {
  const encoded = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  return [...encoded].reduce((time, char) => time * 32 + CROCKFORD.indexOf(char), 0);
}

export function newId(kind: IdKind, now = Date.now()): string {
  return `${ID_PREFIX[kind]}_${nextUlid(now).toLowerCase()}`;
}

export function isId(kind: IdKind, value: string): boolean {
  return new RegExp(`^${ID_PREFIX[kind]}_[0-9a-hjkmnp-tv-z]{26}$`).test(value);
}
