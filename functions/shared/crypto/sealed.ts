/**
 * Secrets the platform must read back (stored idempotent responses, webhook signing secrets) are kept
 * AES-256-GCM encrypted under a key derived from the pepper, one key per purpose; the additional data binds
 * a sealed value to the item it belongs to, so it cannot be copied onto another.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { getPepper } from '../auth/secrets.js';

export interface Sealed {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

export type SealPurpose = 'idempotency responses' | 'webhook secrets';

const keys = new Map<string, Buffer>();

async function keyFor(purpose: SealPurpose): Promise<Buffer> {
  const pepper = await getPepper();
  const cacheKey = `${purpose}\n${pepper}`;
  let key = keys.get(cacheKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', pepper, '', `mailroom ${purpose}`, 32));
    keys.set(cacheKey, key);
  }
  return key;
}

export async function seal(purpose: SealPurpose, plaintext: string, aad: string): Promise<Sealed> {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await keyFor(purpose), iv).setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { v: 1, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

export async function unseal(purpose: SealPurpose, sealed: Sealed, aad: string): Promise<string> {
  const decipher = createDecipheriv('aes-256-gcm', await keyFor(purpose), Buffer.from(sealed.iv, 'base64')).setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
}
