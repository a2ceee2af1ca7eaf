/** Records every mutating request of an identified caller, success or failure, in the audit log. */
import type middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { config } from '../../config.js';
import { logger } from '../../logger.js';
import { ROOT_AUDIT_OWNER, recordAuditEntry } from '../../../repositories/audit-log.js';
import { isMutating, type RouteDefinition } from '../../../../lib/routes.js';
import { header } from '../request.js';
import type { HttpEvent, MailroomContext } from '../types.js';

type Request = middy.Request<HttpEvent, APIGatewayProxyStructuredResultV2, Error, MailroomContext>;

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
  try {
    await recordAuditEntry(
      principal.teamId ?? ROOT_AUDIT_OWNER,
      {
        team_id: principal.teamId,
        actor_key_id: principal.keyId,
        action: route.id,
        method: route.method,
        path: request.event.rawPath,
        resource_id: state.resourceId ?? request.event.pathParameters?.id ?? null,
        status,
        outcome: status < 400 ? 'success' : 'failure',
        error_code: errorCode,
        request_id: state.requestId,
        source_ip: request.event.requestContext?.http?.sourceIp ?? null,
        user_agent: header(request.event, 'user-agent') ?? null,
      },
      config.auditRetentionDays,
    );
  } catch (error) {
    // The caller's request already happened; a lost audit entry must be visible in logs, not fail the call.
    logger.error('audit entry not recorded', { error: error as Error, action: route.id });
  }
}

export function auditLog(route: RouteDefinition): middy.MiddlewareObj<HttpEvent, APIGatewayProxyStructuredResultV2, Error, MailroomContext> {
  return { after: (request) => record(request, route), onError: (request) => record(request, route) };
}
