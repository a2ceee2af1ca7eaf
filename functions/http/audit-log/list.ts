import { httpHandler } from '../../shared/http/handler.js';
import { ListAuditLogQuery } from '../../schemas/audit-log.js';
import { ROOT_AUDIT_OWNER, listAuditEntries } from '../../repositories/audit-log.js';

/** A team admin sees the team's log; the root key sees the log of root actions (team management). */
export const handler = httpHandler('audit-log.list', { query: ListAuditLogQuery }, async ({ query, principal }) => {
  const { limit, cursor, ...filters } = query;
  return { status: 200, body: await listAuditEntries(principal.teamId ?? ROOT_AUDIT_OWNER, filters, { limit, cursor }) };
});
