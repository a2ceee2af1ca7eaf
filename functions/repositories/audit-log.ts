/**
 * Audit log of mutating requests. Access pattern: an owner's entries newest first, optionally within a
 * time range (the sort key is a ULID, so a time range is a key range) and filtered by actor, action,
 * resource or outcome.
 *   entry: pk AUDIT#<team id | ROOT> sk <entry id>   expires_at = created + retention
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import { idBoundary, newId } from '../shared/ids.js';
import type { AuditEntry, AuditFilters } from '../schemas/audit-log.js';
import { epochSeconds, nowIso, queryPage, tableName, type Page } from './table.js';

export const ROOT_AUDIT_OWNER = 'ROOT';
const auditPartition = (owner: string) => `AUDIT#${owner}`;

export type { AuditEntry, AuditFilters };

export async function recordAuditEntry(owner: string, entry: Omit<AuditEntry, 'id' | 'created_at'>, retentionDays: number): Promise<void> {
  const now = Date.now();
  const id = newId('audit', now);
  await documentClient.send(
    new PutCommand({
      TableName: tableName(),
      Item: {
        pk: auditPartition(owner),
        sk: id,
        ...entry,
        id,
        created_at: nowIso(now),
        expires_at: epochSeconds(now) + retentionDays * 86400,
      },
    }),
  );
}


/** Smallest/largest entry id for a time, so a time range becomes a sort-key range. */
const boundaryId = (iso: string, edge: 'low' | 'high') => idBoundary('audit', Date.parse(iso), edge);

export function listAuditEntries(owner: string, filters: AuditFilters, options: { limit: number; cursor?: string }): Promise<Page<AuditEntry>> {
  const partition = auditPartition(owner);
  const names: Record<string, string> = { '#pk': 'pk' };
  const values: Record<string, unknown> = { ':pk': partition };
  let keyCondition = '#pk = :pk';
  if (filters.since || filters.until) {
    // DynamoDB rejects expression names the expressions do not use: declare #sk only with a time range.
    names['#sk'] = 'sk';
    values[':from'] = boundaryId(filters.since ?? '1970-01-01T00:00:00Z', 'low');
    values[':to'] = boundaryId(filters.until ?? '9999-12-31T23:59:59Z', 'high');
    keyCondition += ' AND #sk BETWEEN :from AND :to';
  }
  const filterParts: string[] = ['expires_at > :now'];
  values[':now'] = epochSeconds();
  for (const field of ['actor_key_id', 'action', 'resource_id', 'outcome'] as const) {
    const value = filters[field];
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    filterParts.push(`#${field} = :${field}`);
  }
  return queryPage(
    {
      KeyConditionExpression: keyCondition,
      FilterExpression: filterParts.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
    { ...options, partitionAttr: 'pk', partitionValue: partition },
    (item) => {
      const { pk: _pk, sk: _sk, expires_at: _e, ...entry } = item;
      return entry as unknown as AuditEntry;
    },
  );
}
