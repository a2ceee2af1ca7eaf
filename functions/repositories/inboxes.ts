/**
 * Inboxes. Access patterns: get by id, list a team's newest first, claim an address deployment-wide, route
 * inbound mail by address in one read, count stored bytes, tombstone on delete.
 *   inbox:   pk INBOX#<id>            sk INBOX          gsi1pk TEAM#<team>#INBOXES gsi1sk <id>  (gsi1 keys removed on delete)
 *   address: pk INBOXADDR#<address>   sk INBOXADDR      inbox_id + a copy of every field of the inbox
 * The address item is the uniqueness claim and the inbound worker's routing record: every write to the inbox
 * writes the same change to it in one transaction, so one GetItem answers "whose address is this, with which
 * rules and how much room left". Deleting the inbox deletes it, so the address is free again at once.
 */
import { GetCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { documentClient } from '../shared/clients.js';
import { ApiError, notFound } from '../shared/errors.js';
import type { Inbox, InboxRules } from '../schemas/inboxes.js';
import { TABLE_SCHEMA, listOwnerCollection, nowIso, tableName, versionedUpdateItem, withoutNulls, type Page, newOwnedItemPut } from './table.js';
import { staleVersion, teamIsActiveCondition } from './teams.js';
import { revokeApiKey } from './api-keys.js';
import { recordTeamEvent } from './team-events.js';

const { byOwner } = TABLE_SCHEMA.indexes;
const inboxKey = (id: string) => ({ pk: `INBOX#${id}`, sk: 'INBOX' });
const addressKey = (address: string) => ({ pk: `INBOXADDR#${address}`, sk: 'INBOXADDR' });
const teamInboxesPartition = (teamId: string) => `TEAM#${teamId}#INBOXES`;
/** Lost races (concurrent updates, mail arriving) are retried on top of the winner this many times. */
const WRITE_ATTEMPTS = 5;

export type { Inbox, InboxRules };

interface InboxItem extends Inbox {
  status: 'active' | 'deleted';
  /** The inbox key minted with the inbox, revoked when it is deleted. */
  key_id: string;
}

export type NewInbox = Pick<Inbox, 'id' | 'team_id' | 'address' | 'display_name' | 'metadata' | 'rules' | 'storage_quota_bytes'> & { key_id: string };

export type InboxChanges = Partial<Pick<Inbox, 'display_name' | 'metadata' | 'storage_quota_bytes'>> & { rules?: Partial<InboxRules> };

function toInbox(item: Record<string, unknown> | InboxItem): Inbox {
  const i = item as unknown as Inbox;
  return {
    id: i.id,
    team_id: i.team_id,
    address: i.address,
    display_name: i.display_name ?? null,
    metadata: i.metadata ?? {},
    rules: i.rules,
    storage_quota_bytes: i.storage_quota_bytes,
    storage_used_bytes: i.storage_used_bytes,
    created_at: i.created_at,
    updated_at: i.updated_at,
    version: i.version,
  };
}

const cancelReasons = (error: unknown) => (error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : undefined);
const conditionFailed = (error: unknown, index: number) => cancelReasons(error)?.[index]?.Code === 'ConditionalCheckFailed';

const addressTaken = (address: string) => new ApiError('conflict', `The address ${address} is already taken.`, { param: 'address' });

/**
 * Creates the inbox and claims its address in one transaction, with the items that must exist with it (its
 * key), while the team is active. A taken address is a 409 on `address`.
 */
export async function createInbox(input: NewInbox, alsoPut: NonNullable<TransactWriteCommandInput['TransactItems']> = []): Promise<Inbox> {
  const now = nowIso();
  // The key id is the item's own bookkeeping, not part of the inbox the API answers with.
  const { key_id: keyId, ...fields } = input;
  const inbox: Inbox = { ...fields, storage_used_bytes: 0, created_at: now, updated_at: now, version: 1 };
  const item: InboxItem = { ...inbox, status: 'active', key_id: keyId };
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          teamIsActiveCondition(input.team_id),
          {
            Put: newOwnedItemPut(inboxKey(inbox.id), { partition: teamInboxesPartition(inbox.team_id), sortKey: inbox.id }, item),
          },
          {
            Put: {
              TableName: tableName(),
              Item: withoutNulls({ ...addressKey(inbox.address), inbox_id: inbox.id, ...inbox }),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          ...alsoPut,
        ],
      }),
    );
  } catch (error) {
    if (conditionFailed(error, 0)) throw notFound('Team');
    if (conditionFailed(error, 2)) throw addressTaken(inbox.address);
    throw error;
  }
  return inbox;
}

async function findInboxItem(id: string): Promise<InboxItem | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: inboxKey(id), ConsistentRead: true }));
  return Item && Item.status === 'active' ? (Item as InboxItem) : undefined;
}

/** Active inbox by id, or undefined (deleted inboxes do not exist for the API). */
export async function findInbox(id: string): Promise<Inbox | undefined> {
  const item = await findInboxItem(id);
  return item && toInbox(item);
}

/** The team's inbox, or 404 (also for other teams' inboxes: existence is never revealed). */
export async function getTeamInbox(teamId: string, id: string): Promise<Inbox> {
  const inbox = await findInbox(id);
  if (!inbox || inbox.team_id !== teamId) throw notFound('Inbox');
  return inbox;
}

export function listTeamInboxes(teamId: string, options: { limit: number; cursor?: string }): Promise<Page<Inbox>> {
  return listOwnerCollection(teamInboxesPartition(teamId), options, toInbox);
}

/** The inbox that owns `address`, in one strongly consistent read of its address item (inbound routing). */
export async function findInboxByAddress(address: string): Promise<Inbox | undefined> {
  const { Item } = await documentClient.send(
    new GetCommand({ TableName: tableName(), Key: addressKey(address.trim().toLowerCase()), ConsistentRead: true }),
  );
  return Item && toInbox(Item);
}

/**
 * Applies the changes (`rules` field by field over the current rules) to the inbox and its address item, if
 * the inbox is the team's and (when given) still at `expectedVersion`. Changes that leave everything as it is
 * write nothing.
 */
export async function updateInbox(teamId: string, id: string, changes: InboxChanges, expectedVersion?: number): Promise<Inbox> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const current = await getTeamInbox(teamId, id);
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw staleVersion();
    const fields = {
      display_name: changes.display_name === undefined ? current.display_name : changes.display_name,
      metadata: changes.metadata ?? current.metadata,
      rules: { ...current.rules, ...changes.rules },
      storage_quota_bytes: changes.storage_quota_bytes ?? current.storage_quota_bytes,
    };
    if ((Object.keys(fields) as (keyof typeof fields)[]).every((field) => isDeepStrictEqual(fields[field], current[field]))) return current;
    const next: Inbox = { ...current, ...fields, updated_at: nowIso(), version: current.version + 1 };
    const set = { ...fields, updated_at: next.updated_at };
    try {
      await documentClient.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: versionedUpdateItem({
                key: inboxKey(id),
                changes: set,
                condition: { expression: '#status = :active AND team_id = :team', names: { '#status': 'status' }, values: { ':active': 'active', ':team': teamId } },
                expectedVersion: current.version,
              }),
            },
            {
              Update: versionedUpdateItem({
                key: addressKey(current.address),
                changes: set,
                condition: { expression: 'inbox_id = :id', names: {}, values: { ':id': id } },
              }),
            },
          ],
        }),
      );
      // storage_used_bytes is as read: deliveries move it without a new version.
      return next;
    } catch (error) {
      // A concurrent update, delete or delivery won: read again, so If-Match gets its 409 and a deleted inbox its 404.
      if (!cancelReasons(error)) throw error;
    }
  }
  throw staleVersion();
}

/**
 * Counts `bytes` (negative to release) against the inbox's storage, on the inbox and its address item
 * together, so the routing read sees the same figure as the API. Nothing to count once the inbox is deleted.
 */
export async function addInboxStorage(inbox: Pick<Inbox, 'id' | 'address'>, bytes: number): Promise<void> {
  const inboxId = inbox.id;
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    try {
      await documentClient.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName(),
                Key: inboxKey(inboxId),
                UpdateExpression: 'ADD storage_used_bytes :bytes',
                ConditionExpression: '#status = :active',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':bytes': bytes, ':active': 'active' },
              },
            },
            {
              Update: {
                TableName: tableName(),
                Key: addressKey(inbox.address),
                UpdateExpression: 'ADD storage_used_bytes :bytes',
                ConditionExpression: 'inbox_id = :id',
                ExpressionAttributeValues: { ':bytes': bytes, ':id': inboxId },
              },
            },
          ],
        }),
      );
      return;
    } catch (error) {
      const reasons = cancelReasons(error);
      if (!reasons) throw error;
      // Deleted meanwhile: its storage is being purged, there is nothing left to count.
      if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) return;
      // Otherwise another write to the inbox (an update, a concurrent delivery) held the items: try again.
    }
  }
  throw new ApiError('service_unavailable', 'The inbox is busy; retry.', { retryable: true });
}

/**
 * Revokes the inbox's key, then tombstones the inbox, frees its address and records `inbox.deleted` in one
 * transaction. The key goes first so that a delete that fails halfway can simply be repeated.
 */
export async function deleteInbox(teamId: string, id: string): Promise<Inbox> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const item = await findInboxItem(id);
    if (!item || item.team_id !== teamId) throw notFound('Inbox');
    await revokeApiKey(item.key_id, teamId);
    const deletedAt = nowIso();
    try {
      await recordTeamEvent(teamId, 'inbox.deleted', { inbox_id: id, address: item.address, deleted_at: deletedAt }, [
        {
          Update: {
            TableName: tableName(),
            Key: inboxKey(id),
            UpdateExpression: 'SET #status = :deleted, deleted_at = :now ADD #version :one REMOVE #gpk, #gsk',
            ConditionExpression: '#status = :active AND team_id = :team',
            ExpressionAttributeNames: { '#status': 'status', '#version': 'version', '#gpk': byOwner.partitionKey, '#gsk': byOwner.sortKey },
            ExpressionAttributeValues: { ':deleted': 'deleted', ':active': 'active', ':team': teamId, ':now': deletedAt, ':one': 1 },
          },
        },
        { Delete: { TableName: tableName(), Key: addressKey(item.address), ConditionExpression: 'inbox_id = :id', ExpressionAttributeValues: { ':id': id } } },
      ]);
      return toInbox(item);
    } catch (error) {
      // A concurrent delete won (the next read answers 404), or an update or delivery held the items (retry).
      if (!cancelReasons(error)) throw error;
    }
  }
  throw new ApiError('service_unavailable', 'The inbox is busy; retry.', { retryable: true });
}
