import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { ApiError, notFound } from '../../shared/errors.js';
import { ListParams, SubscribeBody, type ListSubscription } from '../../schemas/lists.js';
import { getTeamList } from '../../repositories/lists.js';
import { getTeamContact, identifyContact } from '../../repositories/contacts.js';
import { announceContactChange } from '../../domain/contacts.js';
import { subscribeContact } from '../../domain/lists.js';

/**
 * Subscribes a contact (by id, or by email: created if the team has none) to the list; 201 when the
 * membership is new. On a double opt-in list the member is pending until the confirmation link is clicked.
 */
export const handler = idempotentHttpHandler('lists.subscribe', { params: ListParams, body: SubscribeBody }, async ({ params, body, principal }) => {
  const teamId = principal.teamId!;
  const list = await getTeamList(teamId, params.id);
  let contact;
  if (body.contact_id) {
    contact = await getTeamContact(teamId, body.contact_id).catch((error) => {
      if (error instanceof ApiError && error.code === 'not_found') throw new ApiError('validation_error', notFound('Contact').message, { param: 'contact_id' });
      throw error;
    });
  } else {
    const identified = await identifyContact(teamId, { email: body.email! });
    await announceContactChange(teamId, identified.before, identified.contact);
    contact = identified.contact;
  }
  const outcome = await subscribeContact(teamId, list, contact);
  return {
    status: outcome.created ? 201 : 200,
    body: { ...outcome.member, first_subscription: outcome.first_subscription, confirmation_email_id: outcome.confirmation_email_id, enrolled_campaigns: outcome.enrolled_campaigns } satisfies ListSubscription,
  };
});
