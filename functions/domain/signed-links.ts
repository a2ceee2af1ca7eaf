/**
 * Links in mail that act without a key (one-click unsubscribe, list confirmation): the token carries its
 * claim and an HMAC under a key derived from the pepper for one purpose, so the public endpoint needs no
 * lookup to trust it, cannot be forged, and a token made for one purpose is worthless for another.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { getPepper } from '../shared/auth/secrets.js';

export type LinkPurpose = 'mailroom unsubscribe links' | 'mailroom list confirmation links';

const signingKey = async (purpose: LinkPurpose) => Buffer.from(hkdfSync('sha256', await getPepper(), '', purpose, 32));

/** `<base64url JSON array>.<base64url HMAC-SHA256>` */
export async function signLink(purpose: LinkPurpose, claim: readonly (string | number)[]): Promise<string> {
  const payload = Buffer.from(JSON.stringify(claim)).toString('base64url');
  const signature = createHmac('sha256', await signingKey(purpose)).update(payload).digest('base64url');
  return `${payload}.${signature}`;
}

/** The claim of a token signed for `purpose`, or undefined if it is malformed or its signature is wrong. */
export async function verifyLink(purpose: LinkPurpose, token: string): Promise<unknown[] | undefined> {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  const expected = createHmac('sha256', await signingKey(purpose)).update(payload).digest();
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  try {
    const claim: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return Array.isArray(claim) ? claim : undefined;
  } catch {
    return undefined;
  }
}
