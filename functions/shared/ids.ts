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
} as const;

export type IdKind = keyof typeof ID_PREFIX;

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A time-sortable id whose random part is derived from `seed`: the same event processed twice (a
 * redelivered queue message) gets the same id, so a conditional put makes the work idempotent.
 */
export function deterministicId(kind: IdKind, time: number, seed: string): string {
  let encodedTime = '';
  for (let t = time, i = 0; i < 10; i++, t = Math.floor(t / 32)) encodedTime = CROCKFORD[t % 32] + encodedTime;
  const digest = createHash('sha256').update(seed).digest();
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[digest[i]! % 32];
  return `${ID_PREFIX[kind]}_${encodedTime}${random}`;
}

export function newId(kind: IdKind, now = Date.now()): string {
  return `${ID_PREFIX[kind]}_${nextUlid(now).toLowerCase()}`;
}

export function isId(kind: IdKind, value: string): boolean {
  return new RegExp(`^${ID_PREFIX[kind]}_[0-9a-hjkmnp-tv-z]{26}$`).test(value);
}
