/**
 * Authentication, rate limits, then the route's access rule: in that order, before any input parsing — or,
 * for routes that read while counting, settled by the handler before its first write and before any answer.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { authenticate, authorize } from '../../auth/authenticate.js';
import { touchApiKeyLastUsed } from '../../../repositories/api-keys.js';
import type { RouteDefinition } from '../../../../lib/routes.js';
import { enforceRateLimits } from '../rate-limit.js';
import { header } from '../request.js';
import type { HttpEvent, MailroomContext } from '../types.js';

/** last_used_at is written at most this often per key, so it costs no write on most requests. */
export const LAST_USED_INTERVAL_MS = 60_000;

export function access(route: RouteDefinition): middy.MiddlewareObj<HttpEvent, APIGatewayProxyStructuredResultV2, Error, MailroomContext> {
  return {
    before: async (request) => {
      const { access: rule } = route;
      if (rule === 'public') return;
      const state = request.context.mailroom;
      const { principal, key } = await authenticate(header(request.event, 'authorization'));
      state.principal = principal;
      const now = Date.now();
      const lastUsed = key?.last_used_at ? Date.parse(key.last_used_at) : 0;
      const touch = key && now - lastUsed > LAST_USED_INTERVAL_MS ? touchApiKeyLastUsed(key.id, now, LAST_USED_INTERVAL_MS) : undefined;
      const admission = Promise.all([
        enforceRateLimits(principal, now).catch((error) => {
          if (error?.options?.headers) state.rateLimitHeaders = error.options.headers;
          throw error;
        }),
        touch,
      ]).then(([headers]) => {
        state.rateLimitHeaders = headers;
        // After counting, so a 403 carries the rate-limit headers too (and counts, like any identified call).
        authorize(principal, rule);
      });
      if (!route.readsWhileCounting) {
        await admission;
        return;
      }
      // Settled by the handler (httpHandler awaits it before any answer); observed here so it never goes unhandled.
      admission.catch(() => undefined);
      state.admission = admission;
    },
  };
}
