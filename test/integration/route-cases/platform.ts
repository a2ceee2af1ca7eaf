/** Platform routes (teams, API keys): their paths come from the route test itself. */
import type { RouteCases } from '../../support/route-cases.js';

let unique = 0;
const slug = () => `routes-${process.pid}-${Date.now().toString(36)}-${unique++}`;

export const cases: RouteCases = {
  'teams.create': {
    body: {
      valid: () => ({ slug: slug(), name: 'Valid team' }),
      wrongTypes: { body: { slug: 12, name: ['x'] }, fields: ['slug', 'name'] },
      rules: { body: { slug: 'Not A Slug!', name: '   ' }, fields: ['slug', 'name'] },
    },
  },
  'teams.update': {
    body: {
      valid: () => ({ name: 'Renamed' }),
      wrongTypes: { body: { name: 42, color: 'red' }, fields: ['name', 'color'] },
      rules: { body: { name: 'x'.repeat(101) }, fields: ['name'] },
    },
  },
  'api-keys.create': {
    body: {
      valid: () => ({ name: 'valid key', scopes: ['read'] }),
      wrongTypes: { body: { name: 1, scopes: 'admin', rate_limit: '10' }, fields: ['name', 'scopes', 'rate_limit'] },
      rules: { body: { name: ' ', scopes: [], rate_limit: 0 }, fields: ['name', 'scopes', 'rate_limit'] },
    },
  },
  'api-keys.update': {
    body: {
      valid: () => ({ name: 'renamed key' }),
      wrongTypes: { body: { name: false, scopes: {}, rate_limit: 'many' }, fields: ['name', 'scopes', 'rate_limit'] },
      rules: { body: { name: '', scopes: ['read', 'read'], rate_limit: 2_000_000 }, fields: ['name', 'scopes', 'rate_limit'] },
    },
  },
};
