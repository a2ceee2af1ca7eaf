/**
 * The one way to write an HTTP route handler:
 *
 *   export const handler = httpHandler('teams.create', { body: CreateTeamBody }, async ({ body, principal }) => ({ status: 201, body: team }));
 *
 * Access, rate limits, input validation, idempotency, the error envelope, request ids and the audit log
 * all come from the route table entry and the schemas given here.
 */
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logger } from '../logger.js';
import { metricsPublisher } from '../metrics.js';
import { ApiError } from '../errors.js';
import { routeById, type RouteDefinition, type RouteId } from '../../../lib/routes.js';
import { parseInput, header, type Input, type InputSchemas } from './request.js';
import { runIdempotent } from './idempotency.js';
import { toResponse } from './response.js';
import { errorEnvelope, principalLogKeys, requestContext } from './middleware/request-context.js';
import { auditLog } from './middleware/audit.js';
import { access } from './middleware/access.js';
import type { HttpEvent, HttpResult, MailroomContext, Principal } from './types.js';

export type RouteRequest<S extends InputSchemas> = Input<S> & {
  event: HttpEvent;
  principal: Principal;
  requestId: string;
  /** Tells the audit log which resource the request acted on (defaults to the `{id}` path parameter). */
  setResourceId(id: string): void;
  /** The version a PATCH must match (If-Match), if the caller sent one. */
  ifMatch: number | undefined;
};

export function httpHandler<S extends InputSchemas>(
  routeId: RouteId | RouteDefinition,
  schemas: S,
  run: (request: RouteRequest<S>) => Promise<HttpResult>,
) {
  const route = typeof routeId === 'string' ? routeById(routeId) : routeId;
  const core = async (event: HttpEvent, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
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
    };
    const idempotencyKey = route.idempotent ? header(event, 'idempotency-key') : undefined;
    if (idempotencyKey === undefined) return toResponse(await run(request));
    const { result, replayed } = await runIdempotent(
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
