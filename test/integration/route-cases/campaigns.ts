/** Event tracking and campaign routes: each path case creates a new draft campaign (or contact) for the admin key's team. */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';
import { uniqueEmail } from './contacts.js';

async function campaignPath({ url, adminKey }: RouteCaseContext): Promise<string> {
  const res = await call(url, 'POST', '/v1/campaigns', { key: adminKey, body: { kind: 'triggered', name: 'Route case', trigger: { event: 'signed_up' }, steps: [{ type: 'wait', duration: '1d' }] } });
  if (res.status !== 201) throw new Error(`campaign create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `/v1/campaigns/${res.body.id}`;
}
const campaignMissing = () => `/v1/campaigns/${newId('campaign')}`;
const under = (suffix: string) => ({
  path: async (ctx: RouteCaseContext) => `${await campaignPath(ctx)}${suffix}`,
  missingPath: () => `${campaignMissing()}${suffix}`,
});

export const cases: RouteCases = {
  'events.track': {
    body: {
      valid: () => ({ email: uniqueEmail(), event: 'signed_up', data: { plan: 'pro' } }),
      wrongTypes: { body: { email: 1, event: 2, data: 'x', timestamp: 5, extra: true }, fields: ['email', 'event', 'data', 'timestamp', 'extra'] },
      rules: { body: { email: 'not-an-email', event: 'has space', data: { big: 'x'.repeat(9000) } }, fields: ['email', 'event', 'data'] },
    },
  },
  'contact-events.list': {
    path: async ({ url, adminKey }) => {
      const res = await call(url, 'POST', '/v1/events', { key: adminKey, body: { email: uniqueEmail(), event: 'signed_up' } });
      if (res.status !== 200) throw new Error(`track failed: ${res.status} ${JSON.stringify(res.body)}`);
      return `/v1/contacts/${res.body.contact_id}/events`;
    },
    missingPath: () => `/v1/contacts/${newId('contact')}/events`,
  },
  'campaigns.create': {
    body: {
      valid: () => ({ kind: 'triggered', name: 'Welcome', trigger: { event: 'signed_up' }, steps: [{ type: 'wait', duration: '1d' }] }),
      wrongTypes: {
        body: { kind: 'triggered', name: 1, trigger: 'signed_up', steps: 'wait', goal_event: 2, allow_reentry: 'yes', segment_id: 'seg' },
        fields: ['name', 'trigger', 'steps', 'goal_event', 'allow_reentry', 'segment_id'],
      },
      rules: {
        body: { kind: 'triggered', name: '', trigger: { event: 'has space' }, steps: [{ type: 'wait', duration: '2 days' }], goal_event: 'has space' },
        fields: ['name', 'trigger.event', 'steps.0.duration', 'goal_event'],
      },
    },
  },
  'campaigns.get': { path: campaignPath, missingPath: campaignMissing },
  'campaigns.update': {
    path: campaignPath,
    missingPath: campaignMissing,
    body: {
      valid: () => ({ name: 'Renamed' }),
      wrongTypes: { body: { name: 1, allow_reentry: 'no', kind: 'broadcast' }, fields: ['name', 'allow_reentry', 'kind'] },
      rules: { body: { name: '', goal_event: 'has space' }, fields: ['name', 'goal_event'] },
    },
  },
  'campaigns.launch': { ...under('/launch'), noBody: true },
  'campaigns.pause': { ...under('/pause'), noBody: true },
  'campaigns.resume': { ...under('/resume'), noBody: true },
  'campaigns.archive': { ...under('/archive'), noBody: true },
  'campaigns.cancel': { ...under('/cancel'), noBody: true },
  'campaign-enrollments.list': under('/enrollments'),
  'campaign-test-events.create': {
    ...under('/test-event'),
    body: {
      valid: () => ({ email: uniqueEmail() }),
      wrongTypes: { body: { email: 1, data: 'x', extra: true }, fields: ['email', 'data', 'extra'] },
      rules: { body: { email: 'not-an-email' }, fields: ['email'] },
    },
  },
};
