import { httpHandler } from '../../shared/http/handler.js';
import { InboxParams } from '../../schemas/inboxes.js';
import { deleteInbox } from '../../repositories/inboxes.js';

/** Answers once the inbox is gone for the API; purging its stored mail can take long, so it follows the recorded `inbox.deleted` event. */
export const handler = httpHandler('inboxes.delete', { params: InboxParams }, async ({ params, principal }) => {
  await deleteInbox(principal.teamId!, params.id);
  return { status: 200, body: { id: params.id, deleted: true } };
});
