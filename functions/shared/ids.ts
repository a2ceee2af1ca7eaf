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
  request: 'req',
  event: 'evt',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

export function newId(kind: IdKind, now = Date.now()): string {
  return `${ID_PREFIX[kind]}_${nextUlid(now).toLowerCase()}`;
}

export function isId(kind: IdKind, value: string): boolean {
  return new RegExp(`^${ID_PREFIX[kind]}_[0-9a-hjkmnp-tv-z]{26}$`).test(value);
}
