/**
 * Lists and their memberships. Access patterns: create (at most MAX_LISTS_PER_TEAM a team), get, list a team's
 * newest first, change with optimistic concurrency, hide at once on delete and sweep the members in the
 * background; a contact's membership of a list (get, write together with the contact's `lists`), the
 * members of a list by status (newest first), the subscribed members for segments and broadcasts.
 *   list:       pk LIST#<list> sk LIST   gsi1pk TEAM#<team>#LISTS gsi1sk <list>
 *               status active | deleting (a deleting list leaves the team's collection and the API at once)
 *   membership: pk CONTACT#<contact> sk LIST#<list>   gsi1pk LIST#<list>#MEMBERS
 *               gsi1sk <rank>-<status>#<since>#<contact>  (rank 3 subscribed, 2 pending, 1 unsubscribed: newest
 *               first lists subscribed members first; `since` is when the member entered the status)
 * Memberships live in the contact's partition so that erasing a contact (its whole partition) erases them; a
 * membership change and the contact's `lists` (confirmed list ids) are written in one transaction.
 */
import { DeleteCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { ApiError, notFound } from '../shared/errors.js';
import type { Contact } from '../schemas/contacts.js';
import { MAX_LISTS_PER_TEAM, type List, type ListMember, type ListMembersQuery, type MembershipStatus } from '../schemas/lists.js';
import { contactListsUpdate, getTeamContact } from './contacts.js';
import { TABLE_SCHEMA, countOwnerCollection, listCollection, newOwnedItemPut, nowIso, tableName, versionedUpdateItem, withoutNulls, type Page, getItem } from './table.js';
import { staleVersion } from './teams.js';

const { byOwner } = TABLE_SCHEMA.indexes;
const listKey = (id: string) => ({ pk: `LIST#${id}`, sk: 'LIST' });
const teamListsPartition = (teamId: string) => `TEAM#${teamId}#LISTS`;
/** The contact's partition (repositories/contacts.ts keeps the contact item there under sk CONTACT). */
const membershipKey = (contactId: string, listId: string) => ({ pk: `CONTACT#${contactId}`, sk: `LIST#${listId}` });
const membersPartition = (listId: string) => `LIST#${listId}#MEMBERS`;
const STATUS_RANK: Record<MembershipStatus, number> = { subscribed: 3, pending: 2, unsubscribed: 1 };
const statusPrefix = (status: MembershipStatus) => `${STATUS_RANK[status]}-${status}#`;
/** Lost races (the contact changed between read and write) are retried on top of the winner this many times. */
const WRITE_ATTEMPTS = 5;

export type StoredList = List & { team_id: string; status: 'active' | 'deleting' };
/** A membership as stored: the public fields plus its team and version (optimistic concurrency). */
export type StoredMember = ListMember & { team_id: string; version: number };

function toList(raw: Record<string, unknown>): StoredList {
  const i = raw as unknown as StoredList;
  return {
    id: i.id,
    team_id: i.team_id,
    status: i.status,
    name: i.name,
    description: i.description ?? null,
    double_opt_in: i.double_opt_in,
    confirmation: i.confirmation ?? null,
    created_at: i.created_at,
    updated_at: i.updated_at,
    version: i.version,
  };
}

export const publicList = ({ team_id: _team, status: _status, ...list }: StoredList): List => list;

function toMember(raw: Record<string, unknown>): StoredMember {
  const i = raw as unknown as StoredMember;
  return {
    list_id: i.list_id,
    contact_id: i.contact_id,
    email: i.email,
    status: i.status,
    subscribed_at: i.subscribed_at ?? null,
    first_subscribed_at: i.first_subscribed_at ?? null,
    unsubscribed_at: i.unsubscribed_at ?? null,
    confirmation_sent_at: i.confirmation_sent_at ?? null,
    created_at: i.created_at,
    updated_at: i.updated_at,
    team_id: i.team_id,
    version: i.version,
  };
}

export const publicMember = ({ team_id: _team, version: _version, ...member }: StoredMember): ListMember => member;

export async function createList(teamId: string, list: List): Promise<StoredList> {
  const Count = await countOwnerCollection(teamListsPartition(teamId));
  if (Count >= MAX_LISTS_PER_TEAM) {
    throw new ApiError('validation_error', `A team can have at most ${MAX_LISTS_PER_TEAM} lists. Delete one first.`, { details: { limit: MAX_LISTS_PER_TEAM } });
  }
  const stored: StoredList = { ...list, team_id: teamId, status: 'active' };
  await documentClient.send(new PutCommand(newOwnedItemPut(listKey(list.id), { partition: teamListsPartition(teamId), sortKey: list.id }, stored)));
  return stored;
}

/** The list, if it exists and is the team's; `includeDeleting` also finds one being swept. */
export async function findList(teamId: string, id: string, options: { includeDeleting?: boolean } = {}): Promise<StoredList | undefined> {
  const item = await getItem(listKey(id));
  if (!item || item.team_id !== teamId) return undefined;
  const list = toList(item);
  return list.status === 'active' || options.includeDeleting ? list : undefined;
}

export async function getTeamList(teamId: string, id: string): Promise<StoredList> {
  const list = await findList(teamId, id);
  if (!list) throw notFound('List');
  return list;
}

export function listLists(teamId: string, query: { limit: number; cursor?: string }): Promise<Page<List>> {
  return listCollection({ partition: teamListsPartition(teamId) }, query, (item) => publicList(toList(item)));
}

/** Replaces the changeable fields with `apply(current)` if the list is still at the version read (or `expectedVersion`). */
export async function updateList(teamId: string, id: string, apply: (current: StoredList) => StoredList, expectedVersion?: number): Promise<StoredList> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const current = await getTeamList(teamId, id);
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw staleVersion();
    const next = apply(current);
    const now = nowIso();
    const update = versionedUpdateItem({
      key: listKey(id),
      changes: { name: next.name, description: next.description, double_opt_in: next.double_opt_in, confirmation: next.confirmation, updated_at: now },
      condition: { expression: 'team_id = :team AND #status = :active', names: { '#status': 'status' }, values: { ':team': teamId, ':active': 'active' } },
      expectedVersion: current.version,
    });
    try {
      const { Attributes } = await documentClient.send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }));
      return toList(Attributes!);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (expectedVersion !== undefined) throw staleVersion();
    }
  }
  throw staleVersion();
}

/** Hides the list (it leaves the team's collection and the API); false if it is not the team's active list. */
export async function markListDeleting(teamId: string, id: string): Promise<boolean> {
  try {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: listKey(id),
        UpdateExpression: 'SET #status = :deleting, deleting_since = :now, updated_at = :now REMOVE #gpk, #gsk',
        ConditionExpression: 'team_id = :team AND #status = :active',
        ExpressionAttributeNames: { '#status': 'status', '#gpk': byOwner.partitionKey, '#gsk': byOwner.sortKey },
        ExpressionAttributeValues: { ':deleting': 'deleting', ':active': 'active', ':team': teamId, ':now': nowIso() },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** The last step of a list's sweep, once no membership is left. */
export async function removeList(id: string): Promise<void> {
  await documentClient.send(new DeleteCommand({ TableName: tableName(), Key: listKey(id), ConditionExpression: '#status = :deleting', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':deleting': 'deleting' } })).catch((error) => {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  });
}

export async function findMembership(contactId: string, listId: string): Promise<StoredMember | undefined> {
  const item = await getItem(membershipKey(contactId, listId));
  return item ? toMember(item) : undefined;
}

/** The membership item with its index keys (which order members by status, then by when they got it). */
function membershipItem(member: StoredMember) {
  const since = (member.status === 'subscribed' ? member.subscribed_at : member.status === 'unsubscribed' ? member.unsubscribed_at : member.updated_at) ?? member.updated_at;
  return withoutNulls({
    ...membershipKey(member.contact_id, member.list_id),
    [byOwner.partitionKey]: membersPartition(member.list_id),
    [byOwner.sortKey]: `${statusPrefix(member.status)}${since}#${member.contact_id}`,
    ...member,
  });
}

/**
 * Writes the membership (`before` is what was read: undefined for a new one) and the contact's `lists` in one
 * transaction. Returns the contact as written, or undefined if the contact or the membership changed since
 * they were read (read both again and retry).
 */
export async function writeMembership(teamId: string, contact: Contact, before: StoredMember | undefined, after: StoredMember, lists: string[], now: string): Promise<Contact | undefined> {
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          contactListsUpdate(teamId, contact, lists, now),
          {
            Put: {
              TableName: tableName(),
              Item: membershipItem(after),
              ConditionExpression: before ? '#version = :expected' : 'attribute_not_exists(pk)',
              ...(before && { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expected': before.version } }),
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException) return undefined;
    throw error;
  }
  return { ...contact, lists, updated_at: now, version: contact.version + 1 };
}

/**
 * Records that a confirmation email goes out now (or, with `sentAt` null, that it did not), if the membership
 * still has the `previous` value: of two requests that would both resend, one does.
 */
export async function setConfirmationSent(member: StoredMember, previous: string | null, sentAt: string | null): Promise<boolean> {
  const names = { '#sent': 'confirmation_sent_at' };
  try {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: membershipKey(member.contact_id, member.list_id),
        UpdateExpression: sentAt ? 'SET #sent = :sent ADD #version :one' : 'REMOVE #sent ADD #version :one',
        ConditionExpression: `#status = :pending AND ${previous ? '#sent = :previous' : 'attribute_not_exists(#sent)'}`,
        ExpressionAttributeNames: { ...names, '#status': 'status', '#version': 'version' },
        ExpressionAttributeValues: { ':pending': 'pending', ':one': 1, ...(sentAt && { ':sent': sentAt }), ...(previous && { ':previous': previous }) },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** A list's members, one status or all (subscribed, then pending, then unsubscribed), newest first. */
export function listMembers(listId: string, query: ListMembersQuery): Promise<Page<ListMember>> {
  return listCollection({ partition: membersPartition(listId), ...(query.status && { sortPrefix: statusPrefix(query.status) }) }, query, (item) => publicMember(toMember(item)));
}

/**
 * The subscribed (confirmed) members of the team's list, newest first: what segments and broadcasts read. Each
 * page is one index Query (eventually consistent: a subscription a moment old may be missing). Whether a member
 * may be mailed also depends on the contact (subscribed, suppressed): that is the caller's to check.
 */
export async function listSubscribedMembers(teamId: string, listId: string, options: { limit: number; cursor?: string }): Promise<Page<ListMember>> {
  await getTeamList(teamId, listId);
  return listMembers(listId, { ...options, status: 'subscribed' });
}

/** Up to `limit` memberships of a list in any status (the sweep of a deleted list). */
export async function membershipsToSweep(listId: string, limit: number): Promise<StoredMember[]> {
  const { Items = [] } = await documentClient.send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: byOwner.indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': byOwner.partitionKey },
      ExpressionAttributeValues: { ':pk': membersPartition(listId) },
      Limit: limit,
    }),
  );
  return Items.map(toMember);
}

/**
 * Deletes the membership and takes the list out of the contact's `lists` in one transaction (the membership
 * alone if the contact is gone or never had it confirmed). A membership already gone is done.
 */
export async function removeMembership(teamId: string, member: { contact_id: string; list_id: string }): Promise<void> {
  const deleteMembership = { TableName: tableName(), Key: membershipKey(member.contact_id, member.list_id) };
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const contact = await getTeamContact(teamId, member.contact_id).catch((error) => {
      if (error instanceof ApiError && error.code === 'not_found') return undefined;
      throw error;
    });
    if (!contact?.lists.includes(member.list_id)) {
      await documentClient.send(new DeleteCommand(deleteMembership));
      return;
    }
    try {
      await documentClient.send(
        new TransactWriteCommand({
          TransactItems: [
            contactListsUpdate(teamId, contact, contact.lists.filter((id) => id !== member.list_id), nowIso()),
            { Delete: deleteMembership },
          ],
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
    }
  }
  throw new Error(`membership ${member.contact_id}/${member.list_id}: the contact kept changing; retry later`);
}
