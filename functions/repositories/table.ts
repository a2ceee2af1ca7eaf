/** Shared helpers for the single table: cursors and paging. Entity modules own their key formats. */
import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { ApiError } from '../shared/errors.js';

import { TABLE_SCHEMA } from '../shared/table-schema.js';

export { TABLE_SCHEMA };

export const tableName = () => config.tableName;

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null;
}

/** A cursor is only valid for the collection it came from: anything else is a 400, never a scan elsewhere. */
export function decodeCursor(cursor: string | undefined, partitionAttr: string, partitionValue: string) {
  if (!cursor) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!key || typeof key !== 'object' || (key as Record<string, unknown>)[partitionAttr] !== partitionValue) {
    throw new ApiError('invalid_parameter', 'The cursor is invalid or belongs to another list.', { param: 'cursor' });
  }
  return key as Record<string, unknown>;
}

/**
 * One page of a newest-first query. With a filter, DynamoDB may return fewer items than asked for per read,
 * so keep reading until the page is full or the collection ends.
 */
export async function queryPage<T>(
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Limit'>,
  options: { limit: number; cursor?: string; partitionAttr: string; partitionValue: string },
  map: (item: Record<string, unknown>) => T,
): Promise<Page<T>> {
  const data: T[] = [];
  let startKey = decodeCursor(options.cursor, options.partitionAttr, options.partitionValue);
  let lastKey: Record<string, unknown> | undefined;
  do {
    const result = await documentClient.send(
      new QueryCommand({
        ...input,
        TableName: tableName(),
        ScanIndexForward: false,
        ExclusiveStartKey: startKey,
        Limit: options.limit - data.length,
      }),
    );
    for (const item of result.Items ?? []) data.push(map(item));
    lastKey = result.LastEvaluatedKey;
    startKey = lastKey;
  } while (lastKey && data.length < options.limit);
  return { data, next_cursor: encodeCursor(lastKey) };
}

/** An owner's collection on the byOwner index (gsi1), newest first: every list endpoint's query. */
export function listOwnerCollection<T>(
  partition: string,
  options: { limit: number; cursor?: string },
  map: (item: Record<string, unknown>) => T,
): Promise<Page<T>> {
  const { byOwner } = TABLE_SCHEMA.indexes;
  return queryPage(
    {
      IndexName: byOwner.indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': byOwner.partitionKey },
      ExpressionAttributeValues: { ':pk': partition },
    },
    { ...options, partitionAttr: byOwner.partitionKey, partitionValue: partition },
    map,
  );
}

/** Every item of one partition whose sort key starts with `prefix`, in sort-key order (all pages). */
export async function queryAllWithPrefix(pk: string, prefix: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export const nowIso = (now = Date.now()) => new Date(now).toISOString();
export const epochSeconds = (now = Date.now()) => Math.floor(now / 1000);

/** Null means "absent" in the API; store it as a missing attribute so attribute_not_exists() works. */
export function withoutNulls<T extends Record<string, unknown>>(item: T): T {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== null && value !== undefined)) as T;
}

export type VersionedUpdateResult =
  | { ok: true; item: Record<string, unknown> }
  | { ok: false; old: Record<string, AttributeValue> | undefined };

export interface VersionedUpdateInput {
  key: Record<string, string>;
  changes: Record<string, unknown>;
  condition: { expression: string; names: Record<string, string>; values: Record<string, unknown> };
  expectedVersion?: number;
}

/**
 * The Update of a partial change with optimistic concurrency: SETs the given fields, REMOVEs the null ones and
 * bumps `version`, if `condition` holds and (when given) `version` still equals `expectedVersion` (If-Match).
 * Exported for transactions that must change another item in step (see versionedUpdate for a lone item).
 */
export function versionedUpdateItem(input: VersionedUpdateInput) {
  const names: Record<string, string> = { ...input.condition.names, '#version': 'version' };
  const values: Record<string, unknown> = { ...input.condition.values, ':one': 1 };
  const sets: string[] = [];
  const removes: string[] = [];
  for (const [field, value] of Object.entries(input.changes)) {
    if (value === undefined) continue;
    names[`#f_${field}`] = field;
    if (value === null) removes.push(`#f_${field}`);
    else {
      values[`:f_${field}`] = value;
      sets.push(`#f_${field} = :f_${field}`);
    }
  }
  let condition = input.condition.expression;
  if (input.expectedVersion !== undefined) {
    condition = `(${condition}) AND #version = :expected`;
    values[':expected'] = input.expectedVersion;
  }
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', 'ADD #version :one', removes.length ? `REMOVE ${removes.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
  return {
    TableName: tableName(),
    Key: input.key,
    UpdateExpression: expression,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * versionedUpdateItem() on one item. On a failed condition it returns the item as it was, so the caller can
 * tell "gone" from "stale".
 */
export async function versionedUpdate(input: VersionedUpdateInput): Promise<VersionedUpdateResult> {
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({ ...versionedUpdateItem(input), ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
    );
    return { ok: true, item: Attributes! };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { ok: false, old: error.Item };
    throw error;
  }
}
