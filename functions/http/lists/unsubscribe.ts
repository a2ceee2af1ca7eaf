import { httpHandler } from '../../shared/http/handler.js';
import { ListMemberParams } from '../../schemas/lists.js';
import { getTeamList } from '../../repositories/lists.js';
import { unsubscribeFromList } from '../../domain/lists.js';

/** Unsubscribes the contact from this list only; `subscribed` on the contact (everything) is left alone. */
export const handler = httpHandler('lists.unsubscribe', { params: ListMemberParams }, async ({ params, principal }) => {
  const list = await getTeamList(principal.teamId!, params.id);
  return { status: 200, body: await unsubscribeFromList(principal.teamId!, list, params.contact_id) };
});
