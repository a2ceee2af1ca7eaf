import * as z from 'zod';
import { httpHandler } from '../../shared/http/handler.js';
import { header } from '../../shared/http/request.js';
import type { HttpEvent } from '../../shared/http/types.js';
import { ApiError, notFound } from '../../shared/errors.js';
import { routeById } from '../../../lib/routes.js';
import { verifyUnsubscribeToken } from '../../domain/unsubscribe.js';
import { addSuppression } from '../../repositories/suppressions.js';
import { findTeam } from '../../repositories/teams.js';

const Params = z.strictObject({ token: z.string().min(10).max(1024) });
const MAX_BODY_BYTES = routeById('unsubscribe.confirm').maxBodyBytes!;

/**
 * The body is a form (`application/x-www-form-urlencoded` or `multipart/form-data`), not JSON, so the shared
 * JSON parsing is skipped; the route's byte cap still applies, and a body of another type (JSON included) is
 * not a one-click unsubscribe: 400, as on any route that takes no JSON body. An empty body is tolerated.
 */
function checkOneClickBody(event: HttpEvent): void {
  if (event.body === undefined || event.body === null || event.body === '') return;
  const bytes = Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes > MAX_BODY_BYTES) throw new ApiError('payload_too_large', `The request body is ${bytes} bytes; this endpoint accepts at most ${MAX_BODY_BYTES} bytes.`);
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(header(event, 'content-type') ?? '')) {
    throw new ApiError('invalid_parameter', 'One-click unsubscribe takes the form body "List-Unsubscribe=One-Click" (RFC 8058) as application/x-www-form-urlencoded or multipart/form-data.', { param: 'body' });
  }
}

/**
 * RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` (form-encoded) to the
 * link in the List-Unsubscribe header. The signed token is the authorization; the body is not needed.
 */
export const handler = httpHandler('unsubscribe.confirm', { params: Params, ignoreBody: true }, async ({ params, event }) => {
  checkOneClickBody(event);
  const claim = await verifyUnsubscribeToken(params.token);
  if (!claim || !(await findTeam(claim.team_id))) throw notFound('Unsubscribe link');
  await addSuppression(claim.team_id, { email: claim.email, reason: 'unsubscribe', source_email_id: claim.email_id });
  return { status: 200, body: { unsubscribed: true, email: claim.email } };
});
