/** Inbox routes: each path case opens an inbox on the default domain for the given admin key's team. */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';

let unique = 0;
/** A username no other test run uses (addresses are unique across the deployment). */
export const uniqueUsername = (prefix = 'ib') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${unique++}`;

async function inboxPath({ url, adminKey }: RouteCaseContext): Promise<string> {
  const res = await call(url, 'POST', '/v1/inboxes', { key: adminKey, body: { username: uniqueUsername('route') } });
  if (res.status !== 201) throw new Error(`inbox create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `/v1/inboxes/${res.body.id}`;
}
const missingPath = () => `/v1/inboxes/${newId('inbox')}`;

export const cases: RouteCases = {
  'inboxes.create': {
    body: {
      valid: () => ({ username: uniqueUsername() }),
      wrongTypes: {
        body: { address: 1, username: [], domain: {}, display_name: 2, metadata: 'a=b', rules: 'open', storage_quota_bytes: '1GB', color: 'red' },
        fields: ['address', 'username', 'domain', 'display_name', 'metadata', 'rules', 'storage_quota_bytes', 'color'],
      },
      rules: {
        body: {
          address: 'Not An Address',
          display_name: 'Agent\r\nBcc: victim@example.com',
          metadata: { team: 'x'.repeat(501) },
          rules: { allow: ['ann@example.com', 'not a sender'], block: ['@not_a_domain'] },
          storage_quota_bytes: 60 * 1024 ** 3,
        },
        fields: ['address', 'display_name', 'metadata.team', 'rules.allow.1', 'rules.block.0', 'storage_quota_bytes'],
      },
    },
  },
  'inboxes.get': { path: inboxPath, missingPath },
  'inboxes.update': {
    path: inboxPath,
    missingPath,
    body: {
      valid: () => ({ display_name: 'Renamed' }),
      wrongTypes: {
        body: { display_name: 1, metadata: [], rules: { allow: 'x' }, storage_quota_bytes: true, address: 'a@mailroom.test' },
        fields: ['display_name', 'metadata', 'rules.allow', 'storage_quota_bytes', 'address'],
      },
      rules: {
        body: { display_name: ' ', metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])), rules: { on_blocked: 'bounce' }, storage_quota_bytes: 0 },
        fields: ['display_name', 'metadata', 'rules.on_blocked', 'storage_quota_bytes'],
      },
    },
  },
  'inboxes.delete': { path: inboxPath, missingPath },
};
