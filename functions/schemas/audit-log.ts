import * as z from 'zod';
import { ListQuery, pageOf, Timestamp } from './common.js';
import { defineRoutes } from './contract.js';

export const AuditEntry = z
  .object({
    id: z.string(),
    team_id: z.string().nullable().describe('The team the caller acted for; null for the root key.'),
    actor_key_id: z.string().describe('The id of the key that made the request (`root` for the root key).'),
    action: z.string().describe('Route id, e.g. "api-keys.create".'),
    method: z.string(),
    path: z.string(),
    resource_id: z.string().nullable().describe('The resource the request acted on, when there is one.'),
    status: z.number().int().describe('The HTTP status answered.'),
    outcome: z.enum(['success', 'failure']).describe('`failure` for every status of 400 and above.'),
    error_code: z.string().nullable().describe('The error envelope\'s `code` of a failure.'),
    request_id: z.string(),
    source_ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof AuditEntry>;

export const ListAuditLogQuery = ListQuery.extend({
  actor_key_id: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  resource_id: z.string().max(128).optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
});
export type AuditFilters = Omit<z.infer<typeof ListAuditLogQuery>, 'limit' | 'cursor'>;

export const AUDIT_LOG_ROUTES = defineRoutes({
  'audit-log.list': {
    summary: 'List audit log entries',
    description:
      'Every request that changed something (any method but GET), successful or not, newest first. A team admin key reads its team\'s log; ' +
      'the root key reads the log of root actions (team management). Filters combine; `since`/`until` bound `created_at`. Entries are kept 90 days by default (`AUDIT_RETENTION_DAYS`).',
    query: ListAuditLogQuery,
    responses: { 200: pageOf(AuditEntry) },
  },
});
