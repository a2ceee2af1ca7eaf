/**
 * An audit entry written ahead (alongside the handler's last write) stands when the request answers as it said,
 * and is replaced, not joined, by the real outcome when it answers otherwise.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { recordAuditEntry } from '../../functions/repositories/audit-log.js';
import { httpHandler } from '../../functions/shared/http/handler.js';
import type { RouteDefinition } from '../../lib/routes.js';
import type { HttpEvent, MailroomContext } from '../../functions/shared/http/types.js';

// Authentication without the table: every request is team_1's key_1 (the real access middleware sets the same state).
vi.mock('../../functions/shared/http/middleware/access.js', () => ({
  access: () => ({
    before: (request: { context: MailroomContext }) => {
      request.context.mailroom.principal = { kind: 'team', keyId: 'key_1', teamId: 'team_1', scopes: ['send'], rateLimit: null };
    },
  }),
}));
vi.mock('../../functions/repositories/audit-log.js', async (original) => ({ ...(await original()), recordAuditEntry: vi.fn(async () => undefined) }));

const route: RouteDefinition = { id: 'probe.create', method: 'POST', path: '/v1/probes', access: { scope: 'send' } };
const event = {
  version: '2.0',
  routeKey: 'POST /v1/probes',
  rawPath: '/v1/probes',
  rawQueryString: '',
  headers: {},
  requestContext: { requestId: 'apigw-1', http: { method: 'POST', path: '/v1/probes', sourceIp: '192.0.2.1' } },
  isBase64Encoded: false,
} as unknown as HttpEvent;
const context = () => ({ functionName: 'probe', awsRequestId: 'lambda-request-1' }) as MailroomContext;

const writes = () => vi.mocked(recordAuditEntry).mock.calls.map(([owner, entry, , at]) => ({ owner, status: entry.status, resource_id: entry.resource_id, at }));

beforeEach(() => vi.mocked(recordAuditEntry).mockClear());

describe('an audit entry written ahead', () => {
  it('is the only write when the request answers as it said', async () => {
    const handler = httpHandler(route, {}, async ({ auditAhead, setResourceId }) => {
      setResourceId('pr_1');
      auditAhead(202, 'pr_1');
      return { status: 202, body: { id: 'pr_1' } };
    });
    expect((await handler(event, context())).statusCode).toBe(202);
    expect(writes()).toEqual([{ owner: 'team_1', status: 202, resource_id: 'pr_1', at: expect.objectContaining({ id: expect.any(String) }) }]);
  });

  it('is rewritten in place with the real outcome when the request then fails', async () => {
    const handler = httpHandler(route, {}, async ({ auditAhead }) => {
      auditAhead(202, 'pr_2');
      throw new Error('the last write failed');
    });
    expect((await handler(event, context())).statusCode).toBe(500);
    const [ahead, corrected] = writes();
    expect(ahead).toMatchObject({ status: 202, resource_id: 'pr_2' });
    expect(corrected).toMatchObject({ status: 500, resource_id: null });
    // The same id and time: the second write replaces the first entry.
    expect(corrected!.at).toEqual(ahead!.at);
    expect(writes()).toHaveLength(2);
  });
});
