import { httpHandler } from '../../shared/http/handler.js';
import { notFound } from '../../shared/errors.js';
import { WebhookAttemptParams, type WebhookRetryQueued } from '../../schemas/webhooks.js';
import { webhookFor } from '../../domain/webhooks.js';
import { queueDeliveries } from '../../domain/webhook-delivery.js';
import { findAttempt, restartDelivery } from '../../repositories/webhook-deliveries.js';

/**
 * Sends the attempt's event again, as a new run of its delivery with the full retry schedule (also after it
 * was delivered, or ran out of attempts). The same `webhook-id` lets the receiver recognise a repeat.
 */
export const handler = httpHandler('webhook-attempts.retry', { params: WebhookAttemptParams }, async ({ params, principal }) => {
  await webhookFor(principal, params.id);
  const attempt = await findAttempt(params.id, params.attempt_id);
  if (!attempt) throw notFound('Attempt');
  const delivery = await restartDelivery(params.id, attempt.event_id);
  if (!delivery) throw notFound('Delivery (older than 30 days)');
  await queueDeliveries([{ webhook_id: params.id, event_id: attempt.event_id, run: delivery.run }]);
  return { status: 202, body: { webhook_id: params.id, event_id: attempt.event_id, status: 'queued' } satisfies WebhookRetryQueued };
});
