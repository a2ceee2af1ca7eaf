/** Records every mutating request of an identified caller, success or failure, in the audit log. */
import type middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { config } from '../../config.js';
import { logger } from '../../logger.js';
import { ROOT_AUDIT_OWNER, recordAuditEntry } from '../../../repositories/audit-log.js';
import { isMutating, type RouteDefinition } from '../../../../lib/routes.js';
import { header } from '../request.js';
import { newId } from '../../ids.js';
import type { HttpEvent, MailroomContext } from '../types.js';

type Request = middy.Request<HttpEvent, APIGatewayProxyStructuredResultV2, Error, MailroomContext>;
/** What writing an entry needs of a request: its event and its state. */
type Call = Pick<Request, 'event' | 'context'>;

function entryOf(request: Call, route: RouteDefinition, status: number, errorCode: string | null, resourceId: string | null) {
  const state = request.context.mailroom;
  const principal = state.principal!;
  return {
    team_id: principal.teamId,
    actor_key_id: principal.keyId,
    action: route.id,
    method: route.method,
    path: request.event.rawPath,
    resource_id: resourceId,
    status,
    outcome: status < 400 ? ('success' as const) : ('failure' as const),
    error_code: errorCode,
    request_id: state.requestId,
    source_ip: request.event.requestContext?.http?.sourceIp ?? null,
    user_agent: header(request.event, 'user-agent') ?? null,
  };
}

function write(request: Call, entry: ReturnType<typeof entryOf>) {
  const state = request.context.mailroom;
  state.auditKey ??= { id: newId('audit', state.startedAt), time: state.startedAt };
  return recordAuditEntry(state.principal!.teamId ?? ROOT_AUDIT_OWNER, entry, config.auditRetentionDays, state.auditKey);
}

/**
 * Writes the success entry now, alongside the handler's last write, instead of after it (one round trip less
 * on the hottest routes). If the request then answers otherwise, the entry is written again with the real outcome.
 */
export function auditAhead(request: Call, route: RouteDefinition, status: number, resourceId: string | null): void {
  const state = request.context.mailroom;
  if (!state.principal || !isMutating(route)) return;
  state.auditAhead = write(request, entryOf(request, route, status, null, resourceId)).then(
    () => ({ status, resourceId }),
    (error) => {
      logger.error('audit entry not recorded ahead', { error: error as Error, action: route.id });
      return undefined;
    },
  );
}

async function record(request: Request, route: RouteDefinition) {
  const state = request.context.mailroom;
  const principal = state?.principal;
  if (!principal || !isMutating(route)) return;
  const status = request.response?.statusCode ?? 500;
  let errorCode: string | null = null;
  if (status >= 400 && typeof request.response?.body === 'string') {
    try {
      errorCode = JSON.parse(request.response.body).error?.code ?? null;
    } catch {
      errorCode = null;
    }
  }
  const resourceId = state.resourceId ?? request.event.pathParameters?.id ?? null;
  const ahead = await state.auditAhead;
  if (ahead && ahead.status === status && ahead.resourceId === resourceId) return;
  try {
    await write(request, entryOf(request, route, status, errorCode, resourceId));
  } catch (error) {
    // The caller's request already happened; a lost audit entry must be visible in logs, not fail the call.
    logger.error('audit entry not recorded', { error: error as Error, action: route.id });
  }
}

export function auditLog(route: RouteDefinition): middy.MiddlewareObj<HttpEvent, APIGatewayProxyStructuredResultV2, Error, MailroomContext> {
  return { after: (request) => record(request, route), onError: (request) => record(request, route) };
}
