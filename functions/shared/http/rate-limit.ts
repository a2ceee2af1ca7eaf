/**
 * Per-key and per-team fixed windows, counted together in one write; the binding window's numbers go into
 * the X-RateLimit-* headers.
 */
import { ApiError } from '../errors.js';
import { config } from '../config.js';
import { logger } from '../logger.js';
import { consumeRequest, refundRequest, type RateLimited, type WindowUsage } from '../../repositories/rate-limits.js';
import type { Principal } from './types.js';

/** One request counted against the principal's windows. */
export interface CountedRequest {
  /** The key limit the count was checked against (the key's own, or the default). */
  keyLimit: number;
  /** X-RateLimit-* of the binding window (with Retry-After when refused). */
  headers: Record<string, string>;
  refusal?: ApiError;
  /** Takes the count back if it was admitted (for a count made before the key was verified). Never throws. */
  refund(): Promise<void>;
}

export const keyLimitOf = (principal: Principal) => principal.rateLimit ?? config.rateLimits.perKey;

export async function countRequest(principal: Principal, nowMs = Date.now()): Promise<CountedRequest> {
  const { windowSeconds, perTeam } = config.rateLimits;
  const keyLimit = keyLimitOf(principal);
  const counted: RateLimited = principal.teamId
    ? { subject: `team:${principal.teamId}`, subjectLimit: perTeam, key: { id: principal.keyId, limit: keyLimit } }
    : { subject: `key:${principal.keyId}`, subjectLimit: keyLimit };
  const usages = await consumeRequest(counted, windowSeconds, nowMs);
  const refused = usages.find((u) => !u.admitted);
  const binding = refused ?? usages.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  const headers = rateLimitHeaders(binding);
  const refund = async () => {
    if (refused) return;
    await refundRequest(counted, windowSeconds, nowMs).catch((error) => logger.warn('rate limit count not refunded', { error: error as Error }));
  };
  if (!refused) return { keyLimit, headers, refund };
  const retryAfter = Math.max(1, refused.reset - Math.floor(nowMs / 1000));
  const refusal = new ApiError('rate_limit_exceeded', `Rate limit of ${refused.limit} requests per ${windowSeconds} s exceeded; retry after ${retryAfter} s.`, {
    headers: { ...headers, 'Retry-After': String(retryAfter) },
  });
  return { keyLimit, headers: refusal.options.headers!, refusal, refund };
}

function rateLimitHeaders(usage: WindowUsage): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(usage.limit),
    'X-RateLimit-Remaining': String(usage.remaining),
    'X-RateLimit-Reset': String(usage.reset),
  };
}
