import { httpHandler } from '../../shared/http/handler.js';
import { WebhookParams } from '../../schemas/webhooks.js';
import { webhookFor } from '../../domain/webhooks.js';

export const handler = httpHandler('webhooks.get', { params: WebhookParams }, async ({ params, principal }) => {
  const webhook = await webhookFor(principal, params.id);
  return { status: 200, body: webhook, etag: webhook.version };
});
