import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { InboxMessageParams, ReplyBody } from '../../schemas/inbox-sends.js';
import { inboxForPrincipal } from '../../domain/inboxes.js';
import { reply, sentMessageView } from '../../domain/inbox-send.js';

export const handler = idempotentHttpHandler('inbox-sends.reply-all', { params: InboxMessageParams, body: ReplyBody }, async ({ params, body, principal, setResourceId }) => {
  const sent = await reply(await inboxForPrincipal(principal, params.id), params.message_id, body, true);
  setResourceId(sent.message.id);
  return { status: 202, body: sentMessageView(sent) };
});
