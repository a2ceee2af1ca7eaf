import { httpHandler } from '../../shared/http/handler.js';
import { InboxSendBody, type InboxSentMessage } from '../../schemas/inbox-sends.js';
import { InboxParams } from '../../schemas/inboxes.js';
import { inboxForPrincipal } from '../../domain/inboxes.js';
import { sendNew } from '../../domain/inbox-send.js';

export const handler = httpHandler('inbox-sends.send', { params: InboxParams, body: InboxSendBody }, async ({ params, body, principal, setResourceId }) => {
  const { message, email } = await sendNew(await inboxForPrincipal(principal, params.id), body);
  setResourceId(message.id);
  return { status: 202, body: { ...message, email } satisfies InboxSentMessage };
});
