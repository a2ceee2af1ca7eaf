/**
 * Authentication, rate limits, then the route's access rule: in that order, before any input parsing — or,
 * for routes that read while counting, settled by the handler before its first write and before any answer.
 *
 * A key this container has authenticated before is counted while it is read (principalHint): one round trip
 * instead of two. The count is checked against the key as read, and taken back if the key turns out revoked,
 * wrong or limited differently, so the outcome is the same as counting after the read.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { authenticate, authorize, principalHint, type Authenticated } from '../../auth/authenticate.js';
import { touchApiKeyLastUsed } from '../../../repositories/api-keys.js';
import { logger } from '../../logger.js';
import type { RouteDefinition } from '../../../../lib/routes.js';
import { countRequest, keyLimitOf, type CountedRequest } from '../rate-limit.js';
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
      const authorization = header(request.event, 'authorization');
      const now = Date.now();
      const hint = principalHint(authorization);
      const authenticating = authenticate(authorization);
      const speculative = hint && countRequest(hint, now);
      // Observed here so neither goes unhandled while the other is awaited.
      authenticating.catch(() => undefined);
      speculative?.catch(() => undefined);

      const settle = async (authenticated: Authenticated): Promise<void> => {
        const { principal, key } = authenticated;
        state.principal = principal;
        const lastUsed = key?.last_used_at ? Date.parse(key.last_used_at) : 0;
        const touch = key && now - lastUsed > LAST_USED_INTERVAL_MS ? touchApiKeyLastUsed(key.id, now, LAST_USED_INTERVAL_MS) : undefined;
        // Awaited below, after the count: observed now so a failure meanwhile is not an unhandled rejection.
        touch?.catch(() => undefined);
        let counted: CountedRequest | undefined = await speculative;
        if (counted && counted.keyLimit !== keyLimitOf(principal)) {
          await counted.refund();
          counted = undefined;
        }
        counted ??= await countRequest(principal, now);
        await touch;
        state.rateLimitHeaders = counted.headers;
        if (counted.refusal) throw counted.refusal;
        // After counting, so a 403 carries the rate-limit headers too (and counts, like any identified call).
        authorize(principal, rule);
      };

      const admission = authenticating.then(settle, async (error) => {
        // Not this key's request after all (the audit log, the log lines and the answer must not name it), nor its count.
        state.principal = undefined;
        logger.removeKeys(['team_id', 'key_id']);
        const counted = await speculative?.catch(() => undefined);
        await counted?.refund();
        throw error;
      });
      if (!route.readsWhileCounting) {
        await admission;
        return;
      }
      // Settled by the handler (httpHandler awaits it before any answer); observed here so it never goes unhandled.
      admission.catch(() => undefined);
      if (hint) {
        // The handler's reads start now, for the team the key belongs to (a fact no key change alters); the
        // answer and every write wait for the admission, which replaces this principal with the one read.
        state.principal = hint;
      } else {
        // The key as read; settle sets the same, but the handler's principal must not hang on which reaction runs first.
        state.principal = (await authenticating).principal;
      }
      state.admission = admission;
    },
  };
}
