/**
 * CORS rules for the HTTP API. API Gateway applies them on AWS (lib/constructs/http-api.ts); the local
 * server applies the same rules (local/api-server.ts). Origins come from configuration: none by default.
 */
export const CORS = {
  allowMethods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
  allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match'],
  exposeHeaders: ['x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after', 'etag', 'idempotent-replayed'],
  maxAgeSeconds: 3600,
} as const;

/** `*` is honoured only when it is configured explicitly. */
export function allowedOrigin(origin: string | undefined, allowlist: readonly string[]): string | undefined {
  if (!origin) return undefined;
  if (allowlist.includes('*')) return '*';
  return allowlist.includes(origin) ? origin : undefined;
}
