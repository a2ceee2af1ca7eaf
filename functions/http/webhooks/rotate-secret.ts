import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { WebhookParams, type WebhookSecretRotated } from '../../schemas/webhooks.js';
import { checkInboxKeyOwns } from '../../domain/webhooks.js';
import { rotateWebhookSecret, SECRET_ROTATION_GRACE_MS } from '../../repositories/webhooks.js';

/** The new secret is shown once; deliveries carry signatures of both secrets until the old one's grace period ends. */
export const handler = idempotentHttpHandler('webhooks.rotate-secret', { params: WebhookParams }, async ({ params, principal }) => {
  await checkInboxKeyOwns(principal, params.id);
  const { webhook, secret } = await rotateWebhookSecret(principal.teamId!, params.id);
  const previousSecretExpiresAt = new Date(Date.parse(webhook.secret_rotated_at!) + SECRET_ROTATION_GRACE_MS).toISOString();
  return { status: 200, body: { ...webhook, secret, previous_secret_expires_at: previousSecretExpiresAt } satisfies WebhookSecretRotated, etag: webhook.version };
});
