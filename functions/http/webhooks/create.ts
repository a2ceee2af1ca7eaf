import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { CreateWebhookBody } from '../../schemas/webhooks.js';
import { createTeamWebhook } from '../../domain/webhooks.js';

/** The signing secret is in this response only (and in the rotation's). */
export const handler = idempotentHttpHandler('webhooks.create', { body: CreateWebhookBody }, async ({ body, principal, setResourceId }) => {
  const { webhook, secret } = await createTeamWebhook(principal, body);
  setResourceId(webhook.id);
  return { status: 201, body: { ...webhook, secret }, etag: webhook.version };
});
