import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { ForwardBody, InboxMessageParams } from '../../schemas/inbox-sends.js';
import { inboxForPrincipal } from '../../domain/inboxes.js';
import { forward, sentMessageView } from '../../domain/inbox-send.js';

export const handler = idempotentHttpHandler('inbox-sends.forward', { params: InboxMessageParams, body: ForwardBody }, async ({ params, body, principal, setResourceId }) => {
  const sent = await forward(await inboxForPrincipal(principal, params.id), params.message_id, body);
  setResourceId(sent.message.id);
  return { status: 202, body: sentMessageView(sent) };
});
