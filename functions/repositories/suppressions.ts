/**
 * A team's suppression list. Access patterns: which of these recipients are suppressed (one BatchGetItem),
 * list newest first, add (first reason wins), remove.
 *   entry: pk SUPPRESS#<team> sk <address>   gsi1pk TEAM#<team>#SUPPRESSIONS gsi1sk <created_at>#<address>
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, PutCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import { notFound } from '../shared/errors.js';
import type { Suppression } from '../schemas/suppressions.js';
import { TABLE_SCHEMA, nowIso, listOwnerCollection, tableName, withoutNulls, type Page } from './table.js';

const { byOwner } = TABLE_SCHEMA.indexes;
const entryKey = (teamId: string, address: string) => ({ pk: `SUPPRESS#${teamId}`, sk: address });
const listPartition = (teamId: string) => `TEAM#${teamId}#SUPPRESSIONS`;

function toSuppression(item: Record<string, unknown>): Suppression {
  const { email, reason, source_email_id, created_at } = item as unknown as Suppression;
  return { email, reason, source_email_id: source_email_id ?? null, created_at };
}

/** The subset of `addresses` (lowercased) the team has suppressed, with the reason. */
export async function findSuppressed(teamId: string, addresses: string[]): Promise<Map<string, Suppression>> {
  const found = new Map<string, Suppression>();
  const unique = [...new Set(addresses)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((a) => entryKey(teamId, a));
    // BatchGetItem may return part of the keys as unprocessed under load: ask again for those.
    for (let attempt = 0; keys?.length && attempt < 5; attempt++) {
      const result: BatchGetCommandOutput = await documentClient.send(new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of result.Responses?.[tableName()] ?? []) found.set(String(item.email), toSuppression(item));
      keys = result.UnprocessedKeys?.[tableName()]?.Keys;
      if (keys?.length) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
    if (keys?.length) throw Object.assign(new Error('Suppression lookup kept being throttled'), { name: 'ThrottlingException' });
  }
  return found;
}

/** Adds the address unless it is already suppressed (the first reason is kept); true if it was added. */
export async function addSuppression(teamId: string, entry: Omit<Suppression, 'created_at'>): Promise<boolean> {
  const created_at = nowIso();
  try {
    await documentClient.send(
      new PutCommand({
        TableName: tableName(),
        Item: withoutNulls({
          ...entryKey(teamId, entry.email),
          [byOwner.partitionKey]: listPartition(teamId),
          [byOwner.sortKey]: `${created_at}#${entry.email}`,
          ...entry,
          created_at,
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

export async function getSuppression(teamId: string, address: string): Promise<Suppression | undefined> {
  return (await findSuppressed(teamId, [address])).get(address);
}

export async function removeSuppression(teamId: string, address: string): Promise<void> {
  try {
    await documentClient.send(new DeleteCommand({ TableName: tableName(), Key: entryKey(teamId, address), ConditionExpression: 'attribute_exists(pk)' }));
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw notFound('Suppression');
    throw error;
  }
}

export function listSuppressions(teamId: string, options: { limit: number; cursor?: string }): Promise<Page<Suppression>> {
  return listOwnerCollection(listPartition(teamId), options, toSuppression);
}
