/**
 * Inbox keys are minted by the inbox routes (with inboxes); the platform already limits them: they
 * authenticate, identify their inbox, and are refused on every team route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiKey } from '../../functions/domain/api-keys.js';
import { createApiKey } from '../../functions/repositories/api-keys.js';
import { ROUTES } from '../../lib/routes.js';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let inboxKey: string;
let teamId: string;

beforeAll(async () => {
  stack = await startLocalStack({ withWorkers: false });
  const { team } = await createTeam(stack, 'inbox-keys');
  teamId = team.id;
  const { record, token } = await mintApiKey({ team_id: team.id, kind: 'inbox', inbox_id: 'ib_01jz0000000000000000000000', name: 'agent', scopes: ['read', 'send'] });
  await createApiKey(record);
  inboxKey = token;
});
afterAll(() => stack.stop());

describe('inbox keys', () => {
  it('identify themselves and their inbox on /v1/me', async () => {
    const res = await call(stack.url, 'GET', '/v1/me', { key: inboxKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'inbox', inbox_id: 'ib_01jz0000000000000000000000', team: { id: teamId } });
  });

  it('are refused with 403 on every route that does not admit inbox keys', async () => {
    const teamRoutes = ROUTES.filter((r) => typeof r.access === 'object' && !('inboxKeys' in r.access && r.access.inboxKeys));
    expect(teamRoutes.length).toBeGreaterThan(0);
    for (const route of teamRoutes) {
      const res = await call(stack.url, route.method, route.path.replace('{id}', 'key_01jz0000000000000000000000'), { key: inboxKey, body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {} });
      expect(res.status, route.id).toBe(403);
      expect(res.body.error.code, route.id).toBe('insufficient_permissions');
    }
  });
});
