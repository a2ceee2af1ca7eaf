/**
 * requestContext (outermost): gives the request its id (in every log line, next to the Lambda request id, and
 * the X-Request-Id header) and writes one access-log line per request. principalLogKeys (right after
 * authentication) adds the caller's team and key to every later line. errorEnvelope (innermost, so it runs
 * first on error) turns any error into the envelope before the audit log looks at the outcome.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError } from '../../errors.js';
import { isSensitiveName, logger, REDACTED } from '../../logger.js';
import { newId } from '../../ids.js';
import { errorResponse } from '../response.js';
import type { RouteDefinition } from '../../../../lib/routes.js';
import type { HttpEvent, MailroomContext } from '../types.js';

type Request = middy.Request<HttpEvent, APIGatewayProxyStructuredResultV2, Error, MailroomContext>;

/** AWS SDK errors that mean "a dependency is overloaded or briefly unavailable", not a bug. */
const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalServerError',
  'TransactionConflictException',
]);

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const name = (error as { name?: string })?.name ?? '';
  if (TRANSIENT.has(name) || (error as { $retryable?: unknown })?.$retryable) {
    return new ApiError('service_unavailable', 'A dependency is temporarily unavailable; retry with backoff.', {
      headers: { 'Retry-After': '1' },
    });
  }
  return new ApiError('internal_error', 'An unexpected error occurred. Contact the operator with the request id.');
}

export function requestContext(route: RouteDefinition): middy.MiddlewareObj<HttpEvent, APIGatewayProxyStructuredResultV2, Error, MailroomContext> {
  const finish = (request: Request) => {
    const state = request.context.mailroom;
    const response = (request.response ??= { statusCode: 500 });
    response.headers = { ...state.rateLimitHeaders, ...response.headers, 'X-Request-Id': state.requestId };
    logger.info('request', {
      route: route.id,
      method: request.event.requestContext?.http?.method,
      path: loggablePath(request.event),
      status: response.statusCode,
      duration_ms: Date.now() - state.startedAt,
      key_id: state.principal?.keyId,
      team_id: state.principal?.teamId ?? undefined,
    });
  };
  return {
    before: (request) => {
      const requestId = newId('request');
      request.context.mailroom = { route, requestId, startedAt: Date.now() };
      logger.resetKeys();
      logger.appendKeys({ request_id: requestId, apigw_request_id: request.event.requestContext?.requestId });
    },
    after: finish,
    onError: (request) => {
      setErrorResponse(request);
      finish(request);
    },
  };
}

/** The request path with credentials in it (the signed `{token}` of unsubscribe and confirmation links) masked. */
function loggablePath(event: HttpEvent): string {
  return Object.entries(event.pathParameters ?? {}).reduce(
    (path, [name, value]) => (value && isSensitiveName(name) ? path.replace(encodeURIComponent(value), REDACTED).replace(value, REDACTED) : path),
    event.rawPath,
  );
}

/** After authentication: the caller's team and key on every log line of the request. */
export function principalLogKeys(): middy.MiddlewareObj<HttpEvent, APIGatewayProxyStructuredResultV2, Error, MailroomContext> {
  return {
    before: (request) => {
      const principal = request.context.mailroom.principal;
      if (principal) logger.appendKeys({ team_id: principal.teamId ?? undefined, key_id: principal.keyId });
    },
  };
}

function setErrorResponse(request: Request) {
  if (request.response) return;
  const apiError = toApiError(request.error);
  if (apiError.status >= 500) logger.error('request failed', { error: request.error as Error });
  request.response = errorResponse(apiError, request.context.mailroom?.requestId ?? newId('request'));
}

export function errorEnvelope(): middy.MiddlewareObj<HttpEvent, APIGatewayProxyStructuredResultV2, Error, MailroomContext> {
  return { onError: setErrorResponse };
}
