/** Webhook routes: each path case creates a webhook (pointing at a closed local port) for the admin key's team. */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';

/** Nothing listens on the discard port: attempts fail at once with "connection refused". */
const CLOSED_URL = 'http://127.0.0.1:9/hooks';

async function createWebhook({ url, adminKey }: RouteCaseContext): Promise<string> {
  const res = await call(url, 'POST', '/v1/webhooks', { key: adminKey, body: { url: CLOSED_URL } });
  if (res.status !== 201) throw new Error(`webhook create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const webhookPath = (suffix = '') => async (ctx: RouteCaseContext) => `/v1/webhooks/${await createWebhook(ctx)}${suffix}`;
const missingPath = (suffix = '') => () => `/v1/webhooks/${newId('webhook')}${suffix}`;

async function attemptRetryPath(ctx: RouteCaseContext): Promise<string> {
  const id = await createWebhook(ctx);
  const res = await call(ctx.url, 'POST', `/v1/webhooks/${id}/test`, { key: ctx.adminKey });
  if (res.status !== 200) throw new Error(`webhook test failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `/v1/webhooks/${id}/attempts/${res.body.id}/retry`;
}

export const cases: RouteCases = {
  'webhooks.create': {
    body: {
      valid: () => ({ url: CLOSED_URL }),
      wrongTypes: {
        body: { url: 1, event_types: 'email.sent', inbox_ids: 'ib', description: 3, enabled: 'yes', color: 'red' },
        fields: ['url', 'event_types', 'inbox_ids', 'description', 'enabled', 'color'],
      },
      rules: {
        body: { url: 'ftp://hooks.example.com/x', event_types: ['email.sent', 'email.nope'], inbox_ids: ['not-an-inbox'], description: 'x'.repeat(501) },
        fields: ['url', 'event_types.1', 'inbox_ids.0', 'description'],
      },
    },
  },
  'webhooks.get': { path: webhookPath(), missingPath: missingPath() },
  'webhooks.update': {
    path: webhookPath(),
    missingPath: missingPath(),
    body: {
      valid: () => ({ description: 'Renamed' }),
      wrongTypes: { body: { url: [], enabled: 1, secret: 'whsec_x' }, fields: ['url', 'enabled', 'secret'] },
      rules: { body: { url: 'https://user:pass@hooks.example.com/', event_types: [] }, fields: ['url', 'event_types'] },
    },
  },
  'webhooks.delete': { path: webhookPath(), missingPath: missingPath() },
  'webhooks.rotate-secret': { path: webhookPath('/rotate-secret'), missingPath: missingPath('/rotate-secret'), noBody: true },
  'webhooks.test': { path: webhookPath('/test'), missingPath: missingPath('/test'), noBody: true },
  'webhook-attempts.list': { path: webhookPath('/attempts'), missingPath: missingPath('/attempts') },
  'webhook-attempts.retry': {
    path: attemptRetryPath,
    missingPath: () => `/v1/webhooks/${newId('webhook')}/attempts/${newId('webhookAttempt')}/retry`,
    noBody: true,
  },
};
