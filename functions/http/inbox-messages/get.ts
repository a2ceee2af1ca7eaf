import { httpHandler } from '../../shared/http/handler.js';
import { InboxMessageParams } from '../../schemas/messages.js';
import { getMessage } from '../../domain/inbox-messages.js';

export const handler = httpHandler('inbox-messages.get', { params: InboxMessageParams }, async ({ params, principal }) => {
  const message = await getMessage(principal, params.id, params.message_id);
  return { status: 200, body: message, etag: message.version };
});
