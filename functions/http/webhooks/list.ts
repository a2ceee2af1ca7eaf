import { httpHandler } from '../../shared/http/handler.js';
import { ListWebhooksQuery } from '../../schemas/webhooks.js';
import { listWebhooksFor } from '../../domain/webhooks.js';

export const handler = httpHandler('webhooks.list', { query: ListWebhooksQuery }, async ({ query, principal }) => ({
  status: 200,
  body: await listWebhooksFor(principal, query),
}));
