/**
 * Teams. Access patterns: get by id, list newest first, claim a unique slug, tombstone on delete.
 *   team:       pk TEAM#<id>       sk TEAM        gsi1pk TEAMS  gsi1sk <id>   (gsi1 keys removed on delete)
 *   slug claim: pk TEAMSLUG#<slug> sk TEAMSLUG    (deleted with the team, so the slug is free again)
 */
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { ApiError, notFound } from '../shared/errors.js';
import type { SendingPause, Team } from '../schemas/teams.js';
import { TABLE_SCHEMA, conditionalUpdate, getItem, listOwnerCollection, nowIso, tableName, versionedUpdate, type Page, newOwnedItemPut } from './table.js';

const { byOwner } = TABLE_SCHEMA.indexes;
const teamKey = (id: string) => ({ pk: `TEAM#${id}`, sk: 'TEAM' });
const slugKey = (slug: string) => ({ pk: `TEAMSLUG#${slug}`, sk: 'TEAMSLUG' });
const LIST_PARTITION = 'TEAMS';

export type { Team };

type TeamItem = Team & {
  status: 'active' | 'deleted';
};

function toTeam(item: Record<string, unknown>): Team {
  const { id, slug, name, daily_quota, monthly_quota, storage_quota_bytes, sending_paused, created_at, updated_at, version } = item as unknown as TeamItem;
  return {
    id,
    slug,
    name,
    daily_quota: daily_quota ?? null,
    monthly_quota: monthly_quota ?? null,
    storage_quota_bytes: storage_quota_bytes ?? null,
    sending_paused: sending_paused ?? null,
    created_at,
    updated_at,
    version,
  };
}

/** Creates the team, its slug claim and any items that must exist with it (its first key) atomically. */
export async function createTeam(
  team: Omit<Team, 'created_at' | 'updated_at' | 'version' | 'daily_quota' | 'monthly_quota' | 'storage_quota_bytes' | 'sending_paused'>,
  alsoPut: NonNullable<TransactWriteCommandInput['TransactItems']> = [],
): Promise<Team> {
  const now = nowIso();
  const item: TeamItem = { ...team, daily_quota: null, monthly_quota: null, storage_quota_bytes: null, sending_paused: null, created_at: now, updated_at: now, version: 1, status: 'active' };
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: newOwnedItemPut(teamKey(team.id), { partition: LIST_PARTITION, sortKey: team.id }, item),
          },
          {
            Put: {
              TableName: tableName(),
              Item: { ...slugKey(team.slug), team_id: team.id },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          ...alsoPut,
        ],
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed') {
      throw new ApiError('conflict', `A team with slug "${team.slug}" already exists.`, { param: 'slug' });
    }
    throw error;
  }
  return toTeam(item);
}

/** The team's key and how to read its item: for a caller that fetches it in one BatchGetItem with other items. */
export const teamLookup = (id: string) => ({
  key: teamKey(id),
  read: (item: Record<string, unknown> | undefined) => (item && item.status === 'active' ? toTeam(item) : undefined),
});

/** Active team by id, or undefined (deleted teams do not exist for the API). */
export async function findTeam(id: string): Promise<Team | undefined> {
  const lookup = teamLookup(id);
  return lookup.read(await getItem(lookup.key));
}

export async function getTeam(id: string): Promise<Team> {
  const team = await findTeam(id);
  if (!team) throw notFound('Team');
  return team;
}

export function listTeams(options: { limit: number; cursor?: string }): Promise<Page<Team>> {
  return listOwnerCollection(LIST_PARTITION, options, toTeam);
}

export type TeamChanges = Partial<Pick<Team, 'name' | 'daily_quota' | 'monthly_quota' | 'storage_quota_bytes' | 'sending_paused'>>;

/** Pauses the team's sending unless it is already paused (or deleted); true if this call paused it. */
export function pauseTeamSending(id: string, pause: SendingPause): Promise<boolean> {
  return conditionalUpdate({
    TableName: tableName(),
    Key: teamKey(id),
    UpdateExpression: 'SET sending_paused = :pause, updated_at = :now ADD #version :one',
    ConditionExpression: '#status = :active AND (attribute_not_exists(sending_paused) OR sending_paused = :none)',
    ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
    ExpressionAttributeValues: { ':pause': pause, ':now': nowIso(), ':one': 1, ':active': 'active', ':none': null },
  });
}

/** Applies changes if the team is active and (when given) still at `expectedVersion`. */
export async function updateTeam(id: string, changes: TeamChanges, expectedVersion?: number): Promise<Team> {
  const result = await versionedUpdate({
    key: teamKey(id),
    changes: { ...changes, updated_at: nowIso() },
    condition: { expression: '#status = :active', names: { '#status': 'status' }, values: { ':active': 'active' } },
    expectedVersion,
  });
  if (result.ok) return toTeam(result.item);
  if (result.old?.status?.S === 'active') throw staleVersion();
  throw notFound('Team');
}

export const staleVersion = () =>
  new ApiError('conflict', 'The resource changed since you read it (If-Match does not match the current ETag). Fetch it again and retry.', {
    param: 'If-Match',
  });

/** Tombstones the team and frees its slug in one transaction; keys and data are revoked/purged by the caller. */
export async function deleteTeam(id: string): Promise<Team> {
  const team = await getTeam(id);
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: teamKey(id),
              UpdateExpression: 'SET #status = :deleted, deleted_at = :now ADD #version :one REMOVE #gpk, #gsk',
              ConditionExpression: '#status = :active',
              ExpressionAttributeNames: { '#status': 'status', '#version': 'version', '#gpk': byOwner.partitionKey, '#gsk': byOwner.sortKey },
              ExpressionAttributeValues: { ':deleted': 'deleted', ':active': 'active', ':now': nowIso(), ':one': 1 },
            },
          },
          { Delete: { TableName: tableName(), Key: slugKey(team.slug) } },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
      throw notFound('Team');
    }
    throw error;
  }
  return team;
}

/** For transactions elsewhere that must only succeed while the team is active (e.g. creating a key). */
export function teamIsActiveCondition(id: string) {
  return {
    ConditionCheck: {
      TableName: tableName(),
      Key: teamKey(id),
      ConditionExpression: '#status = :active',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':active': 'active' },
    },
  };
}
