import { httpHandler } from '../../shared/http/handler.js';
import { WebhookParams } from '../../schemas/webhooks.js';
import { webhookFor } from '../../domain/webhooks.js';
import { sendTestEvent } from '../../domain/webhook-delivery.js';
import { findDeliverableWebhook } from '../../repositories/webhooks.js';

/** Sends a signed `webhook.test` now (also to a disabled endpoint) and answers with the logged attempt. */
export const handler = httpHandler('webhooks.test', { params: WebhookParams }, async ({ params, principal }) => {
  await webhookFor(principal, params.id);
  const webhook = await findDeliverableWebhook(params.id);
  return { status: 200, body: await sendTestEvent(webhook!) };
});
