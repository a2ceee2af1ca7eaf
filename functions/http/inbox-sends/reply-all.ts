import { httpHandler } from '../../shared/http/handler.js';
import { InboxMessageParams, ReplyBody, type InboxSentMessage } from '../../schemas/inbox-sends.js';
import { inboxForPrincipal } from '../../domain/inboxes.js';
import { reply } from '../../domain/inbox-send.js';

export const handler = httpHandler('inbox-sends.reply-all', { params: InboxMessageParams, body: ReplyBody }, async ({ params, body, principal, setResourceId }) => {
  const { message, email } = await reply(await inboxForPrincipal(principal, params.id), params.message_id, body, true);
  setResourceId(message.id);
  return { status: 202, body: { ...message, email } satisfies InboxSentMessage };
});
