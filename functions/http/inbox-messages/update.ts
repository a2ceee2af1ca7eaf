import { httpHandler } from '../../shared/http/handler.js';
import { InboxMessageParams, UpdateInboxMessageBody } from '../../schemas/messages.js';
import { messageSummary, updateMessage } from '../../domain/inbox-messages.js';

export const handler = httpHandler('inbox-messages.update', { params: InboxMessageParams, body: UpdateInboxMessageBody }, async ({ params, body, principal, ifMatch, setResourceId }) => {
  setResourceId(params.message_id);
  const message = await updateMessage(principal, params.id, params.message_id, body, ifMatch);
  return { status: 200, body: messageSummary(message), etag: message.version };
});
