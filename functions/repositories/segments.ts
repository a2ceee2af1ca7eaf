/**
 * Segments. Access patterns: create, get by id, list a team's newest first, change with optimistic
 * concurrency, delete.
 *   segment: pk SEGMENT#<id> sk SEGMENT   gsi1pk TEAM#<team>#SEGMENTS gsi1sk <id>
 * Only the definition is stored; which contacts match is worked out when the segment is used
 * (domain/segments.ts), so there is no membership to keep in step with contact changes.
 */
import { DeleteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { notFound } from '../shared/errors.js';
import { requiredListId } from '../domain/conditions.js';
import type { Condition } from '../schemas/conditions.js';
import type { CreateSegmentBody, Segment, UpdateSegmentBody } from '../schemas/segments.js';
import { listOwnerCollection, newOwnedItemPut, nowIso, tableName, versionedUpdate, type Page, getItem } from './table.js';
import { staleVersion, teamIsActiveCondition } from './teams.js';

const segmentKey = (id: string) => ({ pk: `SEGMENT#${id}`, sk: 'SEGMENT' });
const teamSegmentsPartition = (teamId: string) => `TEAM#${teamId}#SEGMENTS`;

function toSegment(raw: Record<string, unknown>): Segment {
  const i = raw as unknown as Segment;
  return {
    id: i.id,
    name: i.name,
    description: i.description ?? null,
    filter: i.filter,
    source_list_id: requiredListId(i.filter as Condition) ?? null,
    created_at: i.created_at,
    updated_at: i.updated_at,
    version: i.version,
  };
}

export async function createSegment(teamId: string, id: string, body: CreateSegmentBody): Promise<Segment> {
  const now = nowIso();
  const item = { id, team_id: teamId, name: body.name, description: body.description ?? null, filter: body.filter, created_at: now, updated_at: now, version: 1 };
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [teamIsActiveCondition(teamId), { Put: newOwnedItemPut(segmentKey(id), { partition: teamSegmentsPartition(teamId), sortKey: id }, item) }],
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException) throw notFound('Team');
    throw error;
  }
  return toSegment(item);
}

export async function findTeamSegment(teamId: string, id: string): Promise<Segment | undefined> {
  const Item = await getItem(segmentKey(id));
  return Item && Item.team_id === teamId ? toSegment(Item) : undefined;
}

export async function getTeamSegment(teamId: string, id: string): Promise<Segment> {
  const segment = await findTeamSegment(teamId, id);
  if (!segment) throw notFound('Segment');
  return segment;
}

export function listSegments(teamId: string, options: { limit: number; cursor?: string }): Promise<Page<Segment>> {
  return listOwnerCollection(teamSegmentsPartition(teamId), options, toSegment);
}

export async function updateSegment(teamId: string, id: string, changes: UpdateSegmentBody, expectedVersion?: number): Promise<Segment> {
  const result = await versionedUpdate({
    key: segmentKey(id),
    changes: { ...changes, updated_at: nowIso() },
    condition: { expression: 'team_id = :team', names: {}, values: { ':team': teamId } },
    expectedVersion,
  });
  if (result.ok) return toSegment(result.item);
  if (result.old?.team_id?.S === teamId) throw staleVersion();
  throw notFound('Segment');
}

/** Broadcasts already sending keep the filter they started with, so deleting a segment never stops one. */
export async function deleteSegment(teamId: string, id: string): Promise<void> {
  try {
    await documentClient.send(
      new DeleteCommand({ TableName: tableName(), Key: segmentKey(id), ConditionExpression: 'team_id = :team', ExpressionAttributeValues: { ':team': teamId } }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw notFound('Segment');
    throw error;
  }
}
