import { httpHandler } from '../../shared/http/handler.js';
import { InboxParams } from '../../schemas/inboxes.js';
import { inboxForPrincipal } from '../../domain/inboxes.js';

export const handler = httpHandler('inboxes.get', { params: InboxParams }, async ({ params, principal }) => {
  const inbox = await inboxForPrincipal(principal, params.id);
  return { status: 200, body: inbox, etag: inbox.version };
});
