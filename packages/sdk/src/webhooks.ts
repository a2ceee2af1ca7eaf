/**
 * Verifying webhook requests (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`).
 * WebCrypto only, so it runs in Node, Deno, Bun, browsers and edge runtimes alike.
 */
import { WebhookVerificationError } from './errors.js';

/** What every delivery carries: `{ type, timestamp, data }`. */
export interface WebhookEvent<Data = Record<string, unknown>> {
  /** e.g. `email.delivered`, `message.received`. */
  type: string;
  timestamp: string;
  data: Data;
}

/** Request headers as Fetch (`Headers`) or Node (`IncomingHttpHeaders`) give them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** How far the `webhook-timestamp` may be from now, either way (default 300 s): refuses replays of old requests. */
  toleranceSeconds?: number;
  /** The clock, in milliseconds (tests). */
  now?: number;
}

const SECRET_PREFIX = 'whsec_';
const encoder = new TextEncoder();

/**
 * Checks that a webhook request was signed with `secret` (the endpoint's `whsec_…`) and is recent, and returns
 * the parsed event. `payload` must be the raw request body, exactly as received (not re-serialized JSON).
 * Throws WebhookVerificationError otherwise.
 */
export async function verify<Event = WebhookEvent>(payload: string | Uint8Array, headers: WebhookHeaders, secret: string, options: VerifyOptions = {}): Promise<Event> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature header.');
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('Invalid webhook-timestamp header.');
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) throw new WebhookVerificationError('Webhook timestamp is outside the tolerance: refusing a possible replay.');

  const body = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  const key = await hmacKey(secret, 'verify');
  const signed = encoder.encode(`${id}.${timestamp}.${body}`);
  for (const candidate of signatures.split(' ')) {
    const [version, signature] = candidate.split(',', 2);
    if (version !== 'v1' || !signature) continue;
    const bytes = decodeBase64(signature);
    // subtle.verify compares in constant time.
    if (bytes && (await crypto.subtle.verify('HMAC', key, bytes, signed))) {
      try {
        return JSON.parse(body) as Event;
      } catch {
        throw new WebhookVerificationError('The webhook payload is not JSON.');
      }
    }
  }
  throw new WebhookVerificationError('No webhook signature matches the secret.');
}

/** The `webhook-signature` value for a payload: for testing your receiver without a Mailroom deployment. */
export async function sign(payload: string, secret: string, id: string, timestampSeconds: number): Promise<string> {
  const key = await hmacKey(secret, 'sign');
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`${id}.${timestampSeconds}.${payload}`));
  return `v1,${encodeBase64(new Uint8Array(mac))}`;
}

function hmacKey(secret: string, usage: 'sign' | 'verify') {
  const raw = decodeBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  if (!raw || raw.length === 0) throw new WebhookVerificationError('The webhook secret is not a whsec_<base64> secret.');
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(' ') : value;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function encodeBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}
