import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { InboxSendBody } from '../../schemas/inbox-sends.js';
import { InboxParams } from '../../schemas/inboxes.js';
import { inboxForPrincipal } from '../../domain/inboxes.js';
import { sendNew, sentMessageView } from '../../domain/inbox-send.js';

export const handler = idempotentHttpHandler('inbox-sends.send', { params: InboxParams, body: InboxSendBody }, async ({ params, body, principal, setResourceId }) => {
  const sent = await sendNew(await inboxForPrincipal(principal, params.id), body);
  setResourceId(sent.message.id);
  return { status: 202, body: sentMessageView(sent) };
});
