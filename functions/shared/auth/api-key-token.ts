/**
 * API key tokens: `mr_<key id suffix>_<secret>` for team and inbox keys, `mr_root_<secret>` for the root key.
 * The id part makes lookup O(1) (one GetItem); the secret part carries 256 bits of entropy and is stored
 * only as HMAC-SHA256(pepper, token), compared in constant time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ID_PREFIX } from '../ids.js';

export const TOKEN_PREFIX = 'mr_';
const ROOT_ID = 'root';
const tokenPattern = /^mr_([0-9a-hjkmnp-tv-z]{26}|root)_([A-Za-z0-9_-]{32,128})$/;

export type ParsedToken = { kind: 'root' } | { kind: 'key'; keyId: string };

export function generateToken(keyId: string): string {
  const suffix = keyId.slice(ID_PREFIX.apiKey.length + 1);
  return `${TOKEN_PREFIX}${suffix}_${randomBytes(32).toString('base64url')}`;
}

export function generateRootToken(): string {
  return `${TOKEN_PREFIX}${ROOT_ID}_${randomBytes(32).toString('base64url')}`;
}

export function parseToken(token: string): ParsedToken | undefined {
  const match = tokenPattern.exec(token);
  if (!match) return undefined;
  return match[1] === ROOT_ID ? { kind: 'root' } : { kind: 'key', keyId: `${ID_PREFIX.apiKey}_${match[1]}` };
}

export function hashToken(token: string, pepper: string): string {
  return createHmac('sha256', pepper).update(token).digest('hex');
}

export function tokenMatches(token: string, storedHash: string, pepper: string): boolean {
  const actual = Buffer.from(hashToken(token, pepper), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** What a key's metadata shows so a person can recognise it: never enough to use it. */
export function tokenHint(token: string): string {
  return `${token.slice(0, 9)}…${token.slice(-4)}`;
}
