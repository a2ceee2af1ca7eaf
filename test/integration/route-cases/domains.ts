/** Domains routes: each path case registers a domain for the given admin key's team. */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';

let unique = 0;
/** A domain name no other test run uses (SES identities, like the name claims, are account-wide). */
export const uniqueDomain = (prefix = 'd') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${unique++}.example.com`;

async function domainPath(ctx: RouteCaseContext, suffix = ''): Promise<string> {
  const res = await call(ctx.url, 'POST', '/v1/domains', { key: ctx.adminKey, body: { name: uniqueDomain('route') } });
  if (res.status !== 201) throw new Error(`domain create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `/v1/domains/${res.body.id}${suffix}`;
}

export const cases: RouteCases = {
  'domains.create': {
    body: {
      valid: () => ({ name: uniqueDomain() }),
      wrongTypes: { body: { name: 42, region: 'eu-west-1' }, fields: ['name', 'region'] },
      rules: { body: { name: 'not a domain' }, fields: ['name'] },
    },
  },
  'domains.get': { path: (ctx) => domainPath(ctx), missingPath: () => `/v1/domains/${newId('domain')}` },
  'domains.delete': { path: (ctx) => domainPath(ctx), missingPath: () => `/v1/domains/${newId('domain')}` },
  'domains.verify': { noBody: true, path: (ctx) => domainPath(ctx, '/verify'), missingPath: () => `/v1/domains/${newId('domain')}/verify` },
};
