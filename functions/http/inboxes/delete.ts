import { httpHandler } from '../../shared/http/handler.js';
import { InboxParams, type InboxDeleted } from '../../schemas/inboxes.js';
import { closeInbox } from '../../domain/inboxes.js';

export const handler = httpHandler('inboxes.delete', { params: InboxParams }, async ({ params, principal }) => {
  await closeInbox(principal.teamId!, params.id);
  return { status: 200, body: { id: params.id, deleted: true } satisfies InboxDeleted };
});
