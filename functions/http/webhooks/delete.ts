import { httpHandler } from '../../shared/http/handler.js';
import { WebhookParams, type WebhookDeleted } from '../../schemas/webhooks.js';
import { checkInboxKeyOwns } from '../../domain/webhooks.js';
import { deleteWebhook } from '../../repositories/webhooks.js';

/** Deliveries already queued for it are dropped by the delivery worker. */
export const handler = httpHandler('webhooks.delete', { params: WebhookParams }, async ({ params, principal }) => {
  await checkInboxKeyOwns(principal, params.id);
  await deleteWebhook(principal.teamId!, params.id);
  return { status: 200, body: { id: params.id, deleted: true } satisfies WebhookDeleted };
});
