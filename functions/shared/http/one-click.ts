/** Bodies of RFC 8058 one-click POSTs (unsubscribe and list confirmation links), which are forms, not JSON. */
import { ApiError } from '../errors.js';
import { DEFAULT_MAX_BODY_BYTES, type RouteDefinition } from '../../../lib/routes.js';
import { header } from './request.js';
import type { HttpEvent } from './types.js';

/**
 * The body is a form (`application/x-www-form-urlencoded` or `multipart/form-data`), not JSON, so the shared
 * JSON parsing is skipped (the route sets `ignoreBody`); the route's byte cap still applies, and a body of
 * another type (JSON included) is refused with 400, as on any route that takes no JSON body. An empty body
 * is tolerated (some clients send none).
 */
export function checkOneClickBody(event: HttpEvent, route: RouteDefinition): void {
  if (event.body === undefined || event.body === null || event.body === '') return;
  const limit = route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const bytes = Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes > limit) throw new ApiError('payload_too_large', `The request body is ${bytes} bytes; this endpoint accepts at most ${limit} bytes.`);
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(header(event, 'content-type') ?? '')) {
    throw new ApiError('invalid_parameter', 'One-click links take the form body "List-Unsubscribe=One-Click" (RFC 8058) as application/x-www-form-urlencoded or multipart/form-data.', { param: 'body' });
  }
}
