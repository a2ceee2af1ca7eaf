import { httpHandler } from '../../shared/http/handler.js';
import { InboxParams } from '../../schemas/inboxes.js';
import { ListInboxMessagesQuery } from '../../schemas/messages.js';
import { listMessages } from '../../domain/inbox-messages.js';

export const handler = httpHandler('inbox-messages.list', { params: InboxParams, query: ListInboxMessagesQuery }, async ({ params, query, principal }) => ({
  status: 200,
  body: await listMessages(principal, params.id, query),
}));
