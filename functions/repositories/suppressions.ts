/**
 * A team's suppression list. Access patterns: which of these recipients are suppressed (one BatchGetItem, with
 * the team itself when accepting mail),
 * list newest first, add (first reason wins), remove.
 *   entry: pk SUPPRESS#<team> sk <address>   gsi1pk TEAM#<team>#SUPPRESSIONS gsi1sk <created_at>#<address>
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import { notFound } from '../shared/errors.js';
import type { Suppression } from '../schemas/suppressions.js';
import type { Team } from '../schemas/teams.js';
import { teamLookup } from './teams.js';
import { TABLE_SCHEMA, batchGetAll, nowIso, listOwnerCollection, tableName, withoutNulls, type Page } from './table.js';

const { byOwner } = TABLE_SCHEMA.indexes;
const entryKey = (teamId: string, address: string) => ({ pk: `SUPPRESS#${teamId}`, sk: address });
const listPartition = (teamId: string) => `TEAM#${teamId}#SUPPRESSIONS`;

function toSuppression(item: Record<string, unknown>): Suppression {
  const { email, reason, source_email_id, created_at } = item as unknown as Suppression;
  return { email, reason, source_email_id: source_email_id ?? null, created_at };
}

/** The subset of `addresses` (lowercased) the team has suppressed, with the reason. */
export async function findSuppressed(teamId: string, addresses: string[]): Promise<Map<string, Suppression>> {
  const items = await batchGetAll([...new Set(addresses)].map((a) => entryKey(teamId, a)));
  return new Map(items.map((item) => [String(item.email), toSuppression(item)]));
}

/** The team (if active) and which of `addresses` it suppressed, in one consistent BatchGetItem: what accepting mail reads before it writes. */
export async function findTeamAndSuppressed(teamId: string, addresses: string[]): Promise<{ team: Team | undefined; suppressed: Map<string, Suppression> }> {
  const team = teamLookup(teamId);
  const items = await batchGetAll([team.key, ...[...new Set(addresses)].map((a) => entryKey(teamId, a))]);
  const isTeam = (item: Record<string, unknown>) => item.pk === team.key.pk && item.sk === team.key.sk;
  return {
    team: team.read(items.find(isTeam)),
    suppressed: new Map(items.filter((item) => !isTeam(item)).map((item) => [String(item.email), toSuppression(item)])),
  };
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
