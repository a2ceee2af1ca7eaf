/**
 * Per-key and per-team fixed windows, counted together in one write; the binding window's numbers go into
 * the X-RateLimit-* headers.
 */
import { ApiError } from '../errors.js';
import { config } from '../config.js';
import { consumeRequest, type WindowUsage } from '../../repositories/rate-limits.js';
import type { Principal } from './types.js';

export async function enforceRateLimits(principal: Principal, nowMs = Date.now()): Promise<Record<string, string>> {
  const { windowSeconds, perKey, perTeam } = config.rateLimits;
  const keyLimit = principal.rateLimit ?? perKey;
  const usages = await consumeRequest(
    principal.teamId
      ? { subject: `team:${principal.teamId}`, subjectLimit: perTeam, key: { id: principal.keyId, limit: keyLimit } }
      : { subject: `key:${principal.keyId}`, subjectLimit: keyLimit },
    windowSeconds,
    nowMs,
  );
  const refused = usages.find((u) => !u.admitted);
  const binding = refused ?? usages.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  const headers = rateLimitHeaders(binding);
  if (refused) {
    const retryAfter = Math.max(1, refused.reset - Math.floor(nowMs / 1000));
    throw new ApiError('rate_limit_exceeded', `Rate limit of ${refused.limit} requests per ${windowSeconds} s exceeded; retry after ${retryAfter} s.`, {
      headers: { ...headers, 'Retry-After': String(retryAfter) },
    });
  }
  return headers;
}

function rateLimitHeaders(usage: WindowUsage): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(usage.limit),
    'X-RateLimit-Remaining': String(usage.remaining),
    'X-RateLimit-Reset': String(usage.reset),
  };
}
