/**
 * Audit log of mutating requests. Access pattern: an owner's entries newest first, optionally within a
 * time range (the sort key is a ULID, so a time range is a key range) and filtered by actor, action,
 * resource or outcome.
 *   entry: pk AUDIT#<team id | ROOT> sk <entry id>   expires_at = created + retention
 */
import { newId } from '../shared/ids.js';
import type { AuditEntry, AuditFilters } from '../schemas/audit-log.js';
import { epochSeconds, listCollection, nowIso, putItem, type ItemFilter, type Page } from './table.js';

export const ROOT_AUDIT_OWNER = 'ROOT';
const auditPartition = (owner: string) => `AUDIT#${owner}`;

export type { AuditEntry, AuditFilters };

/** `at` pins the entry's id and time, so writing it again (a request's outcome corrected) replaces it. */
export async function recordAuditEntry(owner: string, entry: Omit<AuditEntry, 'id' | 'created_at'>, retentionDays: number, at?: { id: string; time: number }): Promise<void> {
  const now = at?.time ?? Date.now();
  const id = at?.id ?? newId('audit', now);
  await putItem({
    pk: auditPartition(owner),
    sk: id,
    ...entry,
    id,
    created_at: nowIso(now),
    expires_at: epochSeconds(now) + retentionDays * 86400,
  });
}

export function listAuditEntries(owner: string, filters: AuditFilters, options: { limit: number; cursor?: string }): Promise<Page<AuditEntry>> {
  // TTL deletes lazily: an expired entry is hidden before DynamoDB removes it.
  const conditions: ItemFilter[] = [{ path: 'expires_at', op: '>', value: epochSeconds() }];
  for (const field of ['actor_key_id', 'action', 'resource_id', 'outcome'] as const) {
    if (filters[field] !== undefined) conditions.push({ path: field, op: '=', value: filters[field] });
  }
  return listCollection(
    { partition: auditPartition(owner), index: 'table', timeRange: { kind: 'audit', since: filters.since, until: filters.until }, filters: conditions },
    options,
    (item) => {
      const { pk: _pk, sk: _sk, expires_at: _e, ...entry } = item;
      return entry as unknown as AuditEntry;
    },
  );
}
