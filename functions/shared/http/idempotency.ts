/**
 * `Idempotency-Key` on creating POSTs, with Powertools' idempotency utility on the single table.
 * Records live in the caller's own partition (IDEMPOTENCY#<team|root>) and expire after 24 h.
 * Same key + same body → the stored response; different body → 409; still in flight → 409 retryable.
 * A handler that fails (any 4xx/5xx error) releases the key so the caller can fix and retry.
 * Stored responses can hold what is shown only once (a new key's token), so they are kept encrypted.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import type { Context } from 'aws-lambda';
import { dynamodb } from '../clients.js';
import { config } from '../config.js';
import { ApiError } from '../errors.js';
import { getPepper } from '../auth/secrets.js';
import { TABLE_SCHEMA } from '../table-schema.js';
import type { HttpResult } from './types.js';

const KEY_PATTERN = /^[A-Za-z0-9\-._~]{1,256}$/;
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export function validateIdempotencyKey(key: string): void {
  if (!KEY_PATTERN.test(key)) {
    throw new ApiError('invalid_parameter', 'Idempotency-Key must be 1–256 characters of A–Z, a–z, 0–9, "-", ".", "_" or "~".', {
      param: 'Idempotency-Key',
    });
  }
}

interface Invocation {
  key: string;
  route: string;
  body: unknown;
}

/** A response as stored for replay: AES-256-GCM under a key derived from the pepper, bound to owner, route and key. */
interface SealedResult {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

const responseKey = (pepper: string) => Buffer.from(hkdfSync('sha256', pepper, '', 'mailroom idempotency responses', 32));

function seal(result: HttpResult, key: Buffer, aad: string): SealedResult {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(JSON.stringify(result), 'utf8'), cipher.final()]);
  return { v: 1, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

function unseal(sealed: SealedResult, key: Buffer, aad: string): HttpResult {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64')).setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return JSON.parse(Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8'));
}

export async function runIdempotent(
  options: { owner: string; route: string; key: string; body: unknown; context: Context },
  run: () => Promise<HttpResult>,
): Promise<{ result: HttpResult; replayed: boolean }> {
  validateIdempotencyKey(options.key);
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: '[route, key]',
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
    throwOnNoIdempotencyKey: true,
  });
  idempotencyConfig.registerLambdaContext(options.context);
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: config.tableName,
    keyAttr: TABLE_SCHEMA.partitionKey,
    sortKeyAttr: TABLE_SCHEMA.sortKey,
    staticPkValue: `IDEMPOTENCY#${options.owner}`,
    expiryAttr: TABLE_SCHEMA.ttlAttribute,
    awsSdkV3Client: dynamodb,
  });
  const sealKey = responseKey(await getPepper());
  const aad = `${options.owner}\n${options.route}\n${options.key}`;
  let original: HttpResult | undefined;
  const once = makeIdempotent(
    async (_invocation: Invocation): Promise<SealedResult> => {
      original = await run();
      return seal(original, sealKey, aad);
    },
    { persistenceStore, config: idempotencyConfig, keyPrefix: 'http' },
  );
  try {
    const stored = await once({ key: options.key, route: options.route, body: options.body ?? null });
    return original ? { result: original, replayed: false } : { result: unseal(stored, sealKey, aad), replayed: true };
  } catch (error) {
    if (error instanceof IdempotencyValidationError) {
      throw new ApiError('idempotency_conflict', 'This Idempotency-Key was already used with a different request body. Use a new key for a new request.', {
        param: 'Idempotency-Key',
        retryable: false,
      });
    }
    if (error instanceof IdempotencyAlreadyInProgressError) {
      throw new ApiError('idempotency_conflict', 'A request with this Idempotency-Key is still being processed. Retry shortly to get its result.', {
        param: 'Idempotency-Key',
        retryable: true,
        headers: { 'Retry-After': '1' },
      });
    }
    throw error;
  }
}
