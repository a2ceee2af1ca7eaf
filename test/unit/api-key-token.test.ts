import { describe, expect, it } from 'vitest';
import { generateRootToken, generateToken, hashToken, parseToken, tokenHint, tokenMatches } from '../../functions/shared/auth/api-key-token.js';
import { newId } from '../../functions/shared/ids.js';

/** `mr_<26-char id>_<secret>` or `mr_root_<secret>`: the secret itself may contain `_`. */
const secretOf = (token: string) => (token.startsWith('mr_root_') ? token.slice('mr_root_'.length) : token.slice('mr_'.length + 26 + 1));

describe('API key tokens', () => {
  it('embeds the key id so lookup is O(1), and parses back to it', () => {
    const id = newId('apiKey');
    const token = generateToken(id);
    expect(token).toMatch(/^mr_[0-9a-z]{26}_[A-Za-z0-9_-]+$/);
    expect(token).not.toContain('key_');
    expect(parseToken(token)).toEqual({ kind: 'key', keyId: id });
  });

  it('parses root tokens as root', () => {
    expect(parseToken(generateRootToken())).toEqual({ kind: 'root' });
  });

  it('carries at least 32 bytes (256 bits) of randomness in the secret part', () => {
    const id = newId('apiKey');
    const secrets = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const secret = secretOf(generateToken(id));
      expect(Buffer.from(secret, 'base64url').length).toBeGreaterThanOrEqual(32);
      secrets.add(secret);
    }
    expect(secrets.size).toBe(50);
    expect(Buffer.from(generateRootToken().slice('mr_root_'.length), 'base64url').length).toBeGreaterThanOrEqual(32);
  });

  it.each([
    ['empty', ''],
    ['no prefix', 'abc'],
    ['wrong prefix', `sk_${'a'.repeat(26)}_${'b'.repeat(43)}`],
    ['short secret', `mr_root_${'a'.repeat(31)}`],
    ['invalid id characters (ULID has no i, l, o, u)', `mr_${'i'.repeat(26)}_${'b'.repeat(43)}`],
    ['id too short', `mr_${'a'.repeat(25)}_${'b'.repeat(43)}`],
    ['trailing garbage', `${generateRootToken()} x`],
    ['secret with invalid characters', `mr_root_${'a'.repeat(40)}!`],
  ])('rejects %s', (_name, token) => {
    expect(parseToken(token)).toBeUndefined();
  });

  it('hashes with HMAC-SHA256 keyed by the pepper', () => {
    const token = generateRootToken();
    const hash = hashToken(token, 'pepper-1');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token, 'pepper-1')).toBe(hash);
    expect(hashToken(token, 'pepper-2')).not.toBe(hash);
    expect(hash).not.toContain(secretOf(token));
  });

  it('matches only the right token under the right pepper, without throwing on malformed hashes', () => {
    const token = generateToken(newId('apiKey'));
    const stored = hashToken(token, 'pepper');
    expect(tokenMatches(token, stored, 'pepper')).toBe(true);
    expect(tokenMatches(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, stored, 'pepper')).toBe(false);
    expect(tokenMatches(token, stored, 'other-pepper')).toBe(false);
    expect(tokenMatches(token, stored.slice(0, 10), 'pepper')).toBe(false);
    expect(tokenMatches(token, '', 'pepper')).toBe(false);
  });

  it('shows a hint that identifies the key but cannot be used as it', () => {
    const token = generateToken(newId('apiKey'));
    const hint = tokenHint(token);
    expect(hint.startsWith(token.slice(0, 9))).toBe(true);
    expect(hint.endsWith(token.slice(-4))).toBe(true);
    expect(hint).not.toContain(secretOf(token));
    expect(parseToken(hint)).toBeUndefined();
  });
});
