/** Segment routes: each path case creates a new segment for the admin key's team. */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';

const validBody = () => ({ name: 'Pro customers', description: 'Paying, pro plan', filter: { type: 'all', conditions: [{ type: 'property', key: 'plan', op: 'eq', value: 'pro' }, { type: 'subscribed', value: true }] } });

async function segmentPath({ url, adminKey }: RouteCaseContext): Promise<string> {
  const res = await call(url, 'POST', '/v1/segments', { key: adminKey, body: validBody() });
  if (res.status !== 201) throw new Error(`segment create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `/v1/segments/${res.body.id}`;
}
const missingPath = () => `/v1/segments/${newId('segment')}`;

export const cases: RouteCases = {
  'segments.create': {
    body: {
      valid: validBody,
      wrongTypes: { body: { name: 5, description: [], filter: 'plan = pro', owner: 'me' }, fields: ['name', 'description', 'filter', 'owner'] },
      rules: {
        body: { name: '', description: 'x'.repeat(501), filter: { type: 'property', key: 'plan', op: 'gt' } },
        fields: ['name', 'description', 'filter.value'],
      },
    },
  },
  'segments.get': { path: segmentPath, missingPath },
  'segments.update': {
    path: segmentPath,
    missingPath,
    body: {
      valid: () => ({ name: 'Renamed' }),
      wrongTypes: { body: { name: [], filter: 3, id: 'seg_x' }, fields: ['name', 'filter', 'id'] },
      rules: { body: { name: 'x'.repeat(201), filter: { type: 'event', event: 'signed up', within_days: 0 } }, fields: ['name', 'filter.event', 'filter.within_days'] },
    },
  },
  'segments.delete': { path: segmentPath, missingPath },
  'segments.contacts': { path: async (ctx) => `${await segmentPath(ctx)}/contacts`, missingPath: () => `${missingPath()}/contacts` },
};
