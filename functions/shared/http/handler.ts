/**
 * The one way to write an HTTP route handler:
 *
 *   export const handler = httpHandler('teams.get', { params: TeamParams }, async ({ params, principal }) => ({ status: 200, body: team }));
 *
 * Access, rate limits, input validation, the error envelope, request ids, metrics and the audit log all come
 * from the route table entry and the schemas given here. Routes the table marks idempotent are built with
 * idempotentHttpHandler (./idempotency.ts) instead, the same plus `Idempotency-Key`: only their bundles carry
 * the idempotency utility.
 */
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logger } from '../logger.js';
import { metricsPublisher } from '../metrics.js';
import { ApiError } from '../errors.js';
import { routeById, type RouteDefinition, type RouteId } from '../../../lib/routes.js';
import { parseInput, header, type Input, type InputSchemas } from './request.js';
import type { runIdempotent } from './idempotency.js';
import { toResponse } from './response.js';
import { errorEnvelope, principalLogKeys, requestContext } from './middleware/request-context.js';
import { auditAhead, auditLog } from './middleware/audit.js';
import { access } from './middleware/access.js';
import type { HttpEvent, HttpResult, MailroomContext, Principal } from './types.js';

export type RouteRequest<S extends InputSchemas> = Input<S> & {
  event: HttpEvent;
  /**
   * On a readsWhileCounting route this may be the container's remembered principal for the key (principalHint):
   * its team, inbox and key ids hold, its scopes and rate limit may not, and it is proven only once admitted() resolves.
   */
  principal: Principal;
  requestId: string;
  /** Tells the audit log which resource the request acted on (defaults to the `{id}` path parameter). */
  setResourceId(id: string): void;
  /** The version a PATCH must match (If-Match), if the caller sent one. */
  ifMatch: number | undefined;
  /** Resolves once the request passed the rate limits and access rule (throws their error otherwise): await before writing. */
  admitted(): Promise<void>;
  /** About to make the last write, which will answer `status`: the audit entry is written alongside it. */
  auditAhead(status: number, resourceId: string | null): void;
};

export type RouteRun<S extends InputSchemas> = (request: RouteRequest<S>) => Promise<HttpResult>;

export function routeOf(routeId: RouteId | RouteDefinition): RouteDefinition {
  return typeof routeId === 'string' ? routeById(routeId) : routeId;
}

export function httpHandler<S extends InputSchemas>(routeId: RouteId | RouteDefinition, schemas: S, run: RouteRun<S>) {
  const route = routeOf(routeId);
  // Built here, the route would silently ignore the Idempotency-Key its contract promises.
  if (route.idempotent) throw new Error(`${route.id} is idempotent: build its handler with idempotentHttpHandler (functions/shared/http/idempotency.ts).`);
  return buildHttpHandler(route, schemas, run);
}

/** Both builders' common part; `idempotency` is given for idempotent routes only. */
export function buildHttpHandler<S extends InputSchemas>(route: RouteDefinition, schemas: S, run: RouteRun<S>, idempotency?: typeof runIdempotent) {
  const core = async (event: HttpEvent, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const admitted = () => (context as MailroomContext).mailroom.admission ?? Promise.resolve();
    try {
      const response = await answer(event, context, admitted);
      await admitted();
      return response;
    } catch (error) {
      // A refusal by the rate limits or the access rule outranks whatever the handler ran into meanwhile.
      await admitted();
      throw error;
    }
  };

  const answer = async (event: HttpEvent, context: Context, admitted: () => Promise<void>): Promise<APIGatewayProxyStructuredResultV2> => {
    const state = (context as MailroomContext).mailroom;
    const input = parseInput(event, route, schemas);
    const request: RouteRequest<S> = {
      ...input,
      event,
      principal: state.principal!,
      requestId: state.requestId,
      setResourceId: (id) => {
        state.resourceId = id;
      },
      ifMatch: parseIfMatch(header(event, 'if-match')),
      admitted,
      auditAhead: (status, resourceId) => auditAhead({ event, context: context as MailroomContext }, route, status, resourceId),
    };
    const idempotencyKey = idempotency ? header(event, 'idempotency-key') : undefined;
    if (idempotency === undefined || idempotencyKey === undefined) return toResponse(await run(request));
    // The idempotency record is a write: taken only once the request is admitted.
    await admitted();
    const { result, replayed } = await idempotency(
      { owner: state.principal?.teamId ?? 'ROOT', route: route.id, key: idempotencyKey, body: input.body, context },
      () => run(request),
    );
    if (replayed && typeof result.body === 'object' && result.body && 'id' in result.body) state.resourceId = String(result.body.id);
    return toResponse({ ...result, headers: { ...result.headers, ...(replayed && { 'Idempotent-Replayed': 'true' }) } });
  };

  const handler = middy<HttpEvent, APIGatewayProxyStructuredResultV2, Error, MailroomContext>()
    .use(injectLambdaContext(logger))
    .use(metricsPublisher())
    .use(requestContext(route))
    .use(auditLog(route))
    .use(errorEnvelope())
    .use(access(route))
    .use(principalLogKeys())
    .handler(core as never);
  // Exposed so a test can prove the OpenAPI contract (functions/schemas/api.ts) names the very schemas used here.
  return Object.assign(handler, { inputSchemas: schemas });
}

/** `If-Match: "3"` (or W/"3") → 3. Anything else is a client error, not a silent skip of the check. */
function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:W\/)?"(\d+)"$/.exec(value.trim());
  if (!match) throw new ApiError('invalid_parameter', 'If-Match must be an ETag returned by this API, like "3".', { param: 'If-Match' });
  return Number(match[1]);
}
