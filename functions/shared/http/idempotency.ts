/**
 * `Idempotency-Key` on creating POSTs, with Powertools' idempotency utility on the single table.
 * Records live in the caller's own partition (IDEMPOTENCY#<team|root>) and expire after 24 h.
 * Same key + same body → the stored response; different body → 409; still in flight → 409 retryable.
 * A handler that fails (any 4xx/5xx error) releases the key so the caller can fix and retry.
 * Stored responses can hold what is shown only once (a new key's token), so they are kept sealed
 * (AES-256-GCM, bound to owner, route and key).
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import type { Context } from 'aws-lambda';
import { dynamodb } from '../clients.js';
import { config } from '../config.js';
import { ApiError } from '../errors.js';
import { seal, unseal, type Sealed } from '../crypto/sealed.js';
import { TABLE_SCHEMA } from '../table-schema.js';
import type { HttpResult } from './types.js';
import { buildHttpHandler, routeOf, type RouteRun } from './handler.js';
import type { InputSchemas } from './request.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../../schemas/common.js';
import type { RouteDefinition, RouteId } from '../../../lib/routes.js';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export function validateIdempotencyKey(key: string): void {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
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
  const aad = `${options.owner}\n${options.route}\n${options.key}`;
  let original: HttpResult | undefined;
  const once = makeIdempotent(
    async (_invocation: Invocation): Promise<Sealed> => {
      original = await run();
      return seal('idempotency responses', JSON.stringify(original), aad);
    },
    { persistenceStore, config: idempotencyConfig, keyPrefix: 'http' },
  );
  try {
    const stored = await once({ key: options.key, route: options.route, body: options.body ?? null });
    return original ? { result: original, replayed: false } : { result: JSON.parse(await unseal('idempotency responses', stored, aad)) as HttpResult, replayed: true };
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

/** httpHandler for the routes the route table marks idempotent: the same, plus `Idempotency-Key` (see above). */
export function idempotentHttpHandler<S extends InputSchemas>(routeId: RouteId | RouteDefinition, schemas: S, run: RouteRun<S>) {
  const route = routeOf(routeId);
  if (!route.idempotent) throw new Error(`${route.id} is not idempotent in the route table: build its handler with httpHandler.`);
  return buildHttpHandler(route, schemas, run, runIdempotent);
}
