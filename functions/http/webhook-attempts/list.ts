import { httpHandler } from '../../shared/http/handler.js';
import { ListAttemptsQuery, WebhookParams, type WebhookAttemptList } from '../../schemas/webhooks.js';
import { webhookFor } from '../../domain/webhooks.js';
import { listAttempts } from '../../repositories/webhook-deliveries.js';

export const handler = httpHandler('webhook-attempts.list', { params: WebhookParams, query: ListAttemptsQuery }, async ({ params, query, principal }) => {
  await webhookFor(principal, params.id);
  return { status: 200, body: { data: await listAttempts(params.id, query), next_cursor: null } satisfies WebhookAttemptList };
});
