/** Contact routes: each path case identifies a new contact for the admin key's team. */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';

let unique = 0;
export const uniqueEmail = () => `contact-${process.pid}-${Date.now().toString(36)}-${unique++}@example.com`;

async function contactPath({ url, adminKey }: RouteCaseContext): Promise<string> {
  const res = await call(url, 'POST', '/v1/identify', { key: adminKey, body: { email: uniqueEmail() } });
  if (res.status !== 201) throw new Error(`identify failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `/v1/contacts/${res.body.contact_id}`;
}
const missingPath = () => `/v1/contacts/${newId('contact')}`;

export const cases: RouteCases = {
  'identify.upsert': {
    body: {
      valid: () => ({ email: uniqueEmail(), first_name: 'Ann', properties: { plan: 'pro' }, tags: ['trial'] }),
      wrongTypes: {
        body: { email: 1, first_name: 2, last_name: [], properties: 'plan=pro', tags: 'a,b', source: {}, timezone: 5, phone: '1' },
        fields: ['email', 'first_name', 'last_name', 'properties', 'tags', 'source', 'timezone', 'phone'],
      },
      rules: {
        body: { email: 'not-an-email', first_name: 'x'.repeat(101), properties: { big: 'x'.repeat(17_000) }, tags: ['a,b'], timezone: 'Mars/Olympus' },
        fields: ['email', 'first_name', 'properties', 'tags.0', 'timezone'],
      },
    },
  },
  'contacts.get': { path: contactPath, missingPath },
  'contacts.update': {
    path: contactPath,
    missingPath,
    body: {
      valid: () => ({ last_name: 'Lee' }),
      wrongTypes: { body: { subscribed: 'no', tags: 'x', email: 'new@example.com' }, fields: ['tags', 'subscribed', 'email'] },
      rules: { body: { timezone: 'Nowhere/City', tags: ['a,b'] }, fields: ['tags.0', 'timezone'] },
    },
  },
  'contacts.delete': { path: contactPath, missingPath },
};
