import { httpHandler } from '../../shared/http/handler.js';
import { WebhookParams } from '../../schemas/webhooks.js';
import { deliverableWebhookFor } from '../../domain/webhooks.js';
import { sendTestEvent } from '../../domain/webhook-delivery.js';

/** Sends a signed `webhook.test` now (also to a disabled endpoint) and answers with the logged attempt. */
export const handler = httpHandler('webhooks.test', { params: WebhookParams }, async ({ params, principal }) => {
  return { status: 200, body: await sendTestEvent(await deliverableWebhookFor(principal, params.id)) };
});
