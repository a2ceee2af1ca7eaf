import { httpHandler } from '../../shared/http/handler.js';
import { notFound } from '../../shared/errors.js';
import { InboxParams } from '../../schemas/inboxes.js';
import { getTeamInbox } from '../../repositories/inboxes.js';

export const handler = httpHandler('inboxes.get', { params: InboxParams }, async ({ params, principal }) => {
  // An inbox key sees its own inbox only; any other id answers exactly like one that does not exist.
  if (principal.kind === 'inbox' && principal.inboxId !== params.id) throw notFound('Inbox');
  const inbox = await getTeamInbox(principal.teamId!, params.id);
  return { status: 200, body: inbox, etag: inbox.version };
});
