import { httpHandler } from '../../shared/http/handler.js';
import { checkOneClickBody } from '../../shared/http/one-click.js';
import { notFound } from '../../shared/errors.js';
import { routeById } from '../../../lib/routes.js';
import { unsubscribeFromEverything, verifyUnsubscribeToken } from '../../domain/unsubscribe.js';
import { findTeam } from '../../repositories/teams.js';
import { UnsubscribeParams } from '../../schemas/suppressions.js';

/**
 * RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` (form-encoded) to the
 * link in the List-Unsubscribe header. The signed token is the authorization; the body is not needed.
 * The recipient is suppressed for the team and the team's contact with the address is unsubscribed.
 */
export const handler = httpHandler('unsubscribe.confirm', { params: UnsubscribeParams, ignoreBody: true }, async ({ params, event }) => {
  checkOneClickBody(event, routeById('unsubscribe.confirm'));
  const claim = await verifyUnsubscribeToken(params.token);
  if (!claim || !(await findTeam(claim.team_id))) throw notFound('Unsubscribe link');
  await unsubscribeFromEverything(claim);
  return { status: 200, body: { unsubscribed: true, email: claim.email } };
});
