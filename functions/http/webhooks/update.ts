import { httpHandler } from '../../shared/http/handler.js';
import { UpdateWebhookBody, WebhookParams } from '../../schemas/webhooks.js';
import { checkedChanges } from '../../domain/webhooks.js';
import { updateWebhook } from '../../repositories/webhooks.js';

export const handler = httpHandler('webhooks.update', { params: WebhookParams, body: UpdateWebhookBody }, async ({ params, body, principal, ifMatch }) => {
  const webhook = await updateWebhook(principal.teamId!, params.id, await checkedChanges(principal, params.id, body), ifMatch);
  return { status: 200, body: webhook, etag: webhook.version };
});
