/** List routes: each path case creates a list of the admin key's team (a member too, for the unsubscribe route). */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';
import { uniqueEmail } from './contacts.js';

async function createList({ url, adminKey }: RouteCaseContext): Promise<string> {
  const res = await call(url, 'POST', '/v1/lists', { key: adminKey, body: { name: `Route cases ${Date.now()}` } });
  if (res.status !== 201) throw new Error(`list create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}
const listPath = async (ctx: RouteCaseContext) => `/v1/lists/${await createList(ctx)}`;
const missingList = () => `/v1/lists/${newId('list')}`;

/** Well-formed but signed with a key no deployment has. */
const unsignedToken = () =>
  `${Buffer.from(JSON.stringify([newId('team'), newId('list'), newId('contact'), Date.now() + 60_000])).toString('base64url')}.${Buffer.alloc(32, 7).toString('base64url')}`;

export const cases: RouteCases = {
  'lists.create': {
    body: {
      valid: () => ({ name: 'Newsletter', description: 'Monthly news' }),
      wrongTypes: {
        body: { name: 5, description: 6, double_opt_in: 'yes', confirmation: 'x', color: 'red' },
        fields: ['name', 'description', 'double_opt_in', 'confirmation', 'color'],
      },
      // Double opt-in without confirmation settings breaks a rule too.
      rules: { body: { name: '', double_opt_in: true }, fields: ['name', 'confirmation'] },
    },
  },
  'lists.get': { path: listPath, missingPath: missingList },
  'lists.update': {
    path: listPath,
    missingPath: missingList,
    body: {
      valid: () => ({ description: 'Changed' }),
      wrongTypes: { body: { name: 1, double_opt_in: 'no', id: 'lst_x' }, fields: ['name', 'double_opt_in', 'id'] },
      rules: { body: { name: '', confirmation: { from: 'not an address' } }, fields: ['name', 'confirmation.from'] },
    },
  },
  'lists.delete': { path: listPath, missingPath: missingList },
  'lists.members': { path: async (ctx) => `${await listPath(ctx)}/contacts`, missingPath: () => `${missingList()}/contacts` },
  'lists.subscribe': {
    path: async (ctx) => `${await listPath(ctx)}/contacts`,
    missingPath: () => `${missingList()}/contacts`,
    body: {
      valid: () => ({ email: uniqueEmail() }),
      wrongTypes: { body: { email: 5, contact_id: 6, list: 'x' }, fields: ['email', 'contact_id', 'list'] },
      rules: { body: { email: 'not-an-email' }, fields: ['email'] },
    },
  },
  'lists.unsubscribe': {
    path: async (ctx) => {
      const listId = await createList(ctx);
      const res = await call(ctx.url, 'POST', '/v1/identify', { key: ctx.adminKey, body: { email: uniqueEmail(), list_id: listId } });
      if (res.status !== 201) throw new Error(`identify failed: ${res.status} ${JSON.stringify(res.body)}`);
      return `/v1/lists/${listId}/contacts/${res.body.contact_id}`;
    },
    missingPath: () => `${missingList()}/contacts/${newId('contact')}`,
  },
  // Public: the signed token is the authorization. The POST takes RFC 8058's form body, so a JSON body is refused.
  'lists.confirm': { path: async () => `/v1/lists/confirm/${unsignedToken()}` },
  'lists.confirm-one-click': { noBody: true, path: async () => `/v1/lists/confirm/${unsignedToken()}` },
};
