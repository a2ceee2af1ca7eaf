/** Conversions and stats routes: a campaign path case creates a campaign for the admin key's team. */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';

let unique = 0;
const suffix = () => `${process.pid}-${Date.now().toString(36)}-${unique++}`;

async function campaignStatsPath({ url, adminKey }: RouteCaseContext): Promise<string> {
  const res = await call(url, 'POST', '/v1/campaigns', {
    key: adminKey,
    body: { kind: 'triggered', name: `Stats ${suffix()}`, trigger: { event: 'signed_up' }, steps: [{ type: 'wait', duration: '1d' }] },
  });
  if (res.status !== 201) throw new Error(`campaign create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `/v1/campaigns/${res.body.id}/stats`;
}

export const cases: RouteCases = {
  'conversions.create': {
    body: {
      valid: () => ({ email: `buyer-${suffix()}@example.com`, revenue: 9.99, currency: 'EUR', order_id: `order-${suffix()}`, metadata: { plan: 'pro' } }),
      wrongTypes: {
        body: { email: 1, event: 2, revenue: '9.99', currency: 3, order_id: 4, metadata: 'plan=pro', coupon: 'X' },
        fields: ['email', 'event', 'revenue', 'currency', 'order_id', 'metadata', 'coupon'],
      },
      rules: {
        body: { email: 'not-an-email', event: 'two words', revenue: 1.005, currency: 'usd', order_id: 'x'.repeat(201), metadata: { note: 'x'.repeat(5000) } },
        fields: ['email', 'event', 'revenue', 'currency', 'order_id', 'metadata'],
      },
    },
  },
  'campaign-stats.get': { path: campaignStatsPath, missingPath: () => `/v1/campaigns/${newId('campaign')}/stats` },
};
