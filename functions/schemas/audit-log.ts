import * as z from 'zod';
import { ListQuery, Timestamp } from './common.js';

export const AuditEntry = z.object({
  id: z.string(),
  team_id: z.string().nullable(),
  actor_key_id: z.string(),
  action: z.string().describe('Route id, e.g. "api-keys.create".'),
  method: z.string(),
  path: z.string(),
  resource_id: z.string().nullable(),
  status: z.number().int(),
  outcome: z.enum(['success', 'failure']),
  error_code: z.string().nullable(),
  request_id: z.string(),
  source_ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  created_at: Timestamp,
});
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
