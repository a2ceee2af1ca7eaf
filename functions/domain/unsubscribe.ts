/**
 * One-click unsubscribe links (RFC 8058): the token names the team and the recipient and is signed with a
 * key derived from the pepper, so the public endpoint needs no lookup to trust it and cannot be forged.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { getPepper } from '../shared/auth/secrets.js';

interface UnsubscribeClaim {
  team_id: string;
  email: string;
  email_id: string;
}

const signingKey = async () => Buffer.from(hkdfSync('sha256', await getPepper(), '', 'mailroom unsubscribe links', 32));

export async function unsubscribeToken(claim: UnsubscribeClaim): Promise<string> {
  const payload = Buffer.from(JSON.stringify([claim.team_id, claim.email, claim.email_id])).toString('base64url');
  const signature = createHmac('sha256', await signingKey()).update(payload).digest('base64url');
  return `${payload}.${signature}`;
}

export async function verifyUnsubscribeToken(token: string): Promise<UnsubscribeClaim | undefined> {
  const [payload, signature] = token.split('.');
  if (!payload || !signature) return undefined;
  const expected = createHmac('sha256', await signingKey()).update(payload).digest();
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  try {
    const [team_id, email, email_id] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof team_id === 'string' && typeof email === 'string' && typeof email_id === 'string' ? { team_id, email, email_id } : undefined;
  } catch {
    return undefined;
  }
}

export const unsubscribeUrl = (apiUrl: string, token: string) => `${apiUrl}/v1/unsubscribe/${token}`;
