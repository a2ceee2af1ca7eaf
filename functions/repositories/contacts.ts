/**
 * Contacts. Access patterns: upsert by email (identify), get by id, list a team's newest first with filters,
 * update with optimistic concurrency, delete, erase (GDPR) with an erasure log.
 *   contact: pk CONTACT#<id> sk CONTACT   gsi1pk TEAM#<team>#CONTACTS gsi1sk <id>
 *   email:   pk CONTACTEMAIL#<team>#<email> sk CONTACTEMAIL   contact_id (one contact per address and team)
 *   erasure: pk TEAM#<team>#ERASURES sk <time-sortable id>   email_sha256, erased_at, key_id
 * List filters (tag, subscribed, property) are applied while reading the team's collection: a filtered page
 * costs the reads of every contact it passes over (segments will index what campaigns need).
 */
import { createHash } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { ApiError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Contact, IdentifyBody, ListContactsQuery, UpdateContactBody } from '../schemas/contacts.js';
import { applyIdentify, applyUpdate, contactChanged } from '../domain/contacts.js';
import { forgetLastSent } from './conversions.js';
import { TABLE_SCHEMA, deletePartition, batchGetAll, listCollection, type ItemFilter, newOwnedItemPut, nowIso, tableName, withoutNulls, type Page, getItem } from './table.js';
import { staleVersion, teamIsActiveCondition } from './teams.js';

const { byOwner } = TABLE_SCHEMA.indexes;
const contactKey = (id: string) => ({ pk: `CONTACT#${id}`, sk: 'CONTACT' });
const emailKey = (teamId: string, email: string) => ({ pk: `CONTACTEMAIL#${teamId}#${email}`, sk: 'CONTACTEMAIL' });
const teamContactsPartition = (teamId: string) => `TEAM#${teamId}#CONTACTS`;
/** Lost races (two identifies of one address at once) are retried on top of the winner this many times. */
const WRITE_ATTEMPTS = 5;

export function toContact(raw: Record<string, unknown>): Contact {
  const i = raw as unknown as Contact;
  return {
    id: i.id,
    email: i.email,
    first_name: i.first_name ?? null,
    last_name: i.last_name ?? null,
    properties: i.properties ?? {},
    tags: i.tags ?? [],
    source: i.source ?? null,
    timezone: i.timezone ?? null,
    subscribed: i.subscribed,
    unsubscribed_at: i.unsubscribed_at ?? null,
    lists: i.lists ?? [],
    event_summary: i.event_summary ?? {},
    created_at: i.created_at,
    updated_at: i.updated_at,
    version: i.version,
  };
}

async function findTeamContact(teamId: string, id: string): Promise<Contact | undefined> {
  const item = await getItem(contactKey(id));
  return item && item.team_id === teamId ? toContact(item) : undefined;
}

export async function getTeamContact(teamId: string, id: string): Promise<Contact> {
  const contact = await findTeamContact(teamId, id);
  if (!contact) throw notFound('Contact');
  return contact;
}

/** The id of the team's contact with this address (lowercase), if any: one read of the address claim. */
export async function findContactIdByEmail(teamId: string, email: string): Promise<string | undefined> {
  const claim = await getItem(emailKey(teamId, email));
  return claim ? String(claim.contact_id) : undefined;
}

/** The team's contacts with these ids, in the order given; missing ones (deleted since) are left out. BatchGetItem, 100 a call. */
export async function findTeamContacts(teamId: string, ids: string[]): Promise<Contact[]> {
  const items = await batchGetAll([...new Set(ids)].map(contactKey));
  const byId = new Map(items.filter((item) => item.team_id === teamId).map((item) => [String(item.id), toContact(item)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * The Update that sets the contact's subscribed `lists` (bumping its version), for a transaction that
 * changes a list membership in step (repositories/lists.ts); it fails if the contact changed since read.
 */
export function contactListsUpdate(teamId: string, contact: Contact, lists: string[], now: string) {
  return {
    Update: {
      TableName: tableName(),
      Key: contactKey(contact.id),
      UpdateExpression: 'SET #lists = :lists, #updated = :now ADD #version :one',
      ConditionExpression: 'team_id = :team AND #version = :expected',
      ExpressionAttributeNames: { '#lists': 'lists', '#updated': 'updated_at', '#version': 'version' },
      ExpressionAttributeValues: { ':lists': lists, ':now': now, ':one': 1, ':team': teamId, ':expected': contact.version },
    },
  };
}

/** Replaces the contact item if it is still at `before.version` (or, for a new one, creates it and claims its email). */
async function writeContact(teamId: string, before: Contact | undefined, after: Contact): Promise<void> {
  const item = withoutNulls({ ...after, team_id: teamId });
  if (!before) {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          teamIsActiveCondition(teamId),
          { Put: { TableName: tableName(), Item: { ...emailKey(teamId, after.email), contact_id: after.id, team_id: teamId }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: newOwnedItemPut(contactKey(after.id), { partition: teamContactsPartition(teamId), sortKey: after.id }, item) },
        ],
      }),
    );
    return;
  }
  await documentClient.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: tableName(),
            Item: { ...contactKey(after.id), [byOwner.partitionKey]: teamContactsPartition(teamId), [byOwner.sortKey]: after.id, ...item },
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': before.version },
          },
        },
      ],
    }),
  );
}

/** identify: creates or merges into the team's contact with that email. `before` is undefined when it was created. */
export async function identifyContact(teamId: string, body: IdentifyBody): Promise<{ before: Contact | undefined; contact: Contact }> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const claim = await getItem(emailKey(teamId, body.email));
    const before = claim ? await findTeamContact(teamId, String(claim.contact_id)) : undefined;
    const now = nowIso();
    const merged = applyIdentify(before, body, { id: newId('contact'), now });
    if (before && !contactChanged(before, merged)) return { before, contact: before };
    const after = { ...merged, updated_at: now, version: merged.version + 1 };
    try {
      await writeContact(teamId, before, after);
      return { before, contact: after };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      if (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed' && !before) throw notFound('Team');
    }
  }
  throw new ApiError('conflict', 'This contact is being changed by other requests at the same time; retry.', { retryable: true });
}

export async function updateContact(teamId: string, id: string, changes: UpdateContactBody, expectedVersion?: number): Promise<{ before: Contact; contact: Contact }> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const before = await getTeamContact(teamId, id);
    if (expectedVersion !== undefined && expectedVersion !== before.version) throw staleVersion();
    const now = nowIso();
    const merged = applyUpdate(before, changes, now);
    if (!contactChanged(before, merged)) return { before, contact: before };
    const after = { ...merged, updated_at: now, version: before.version + 1 };
    try {
      await writeContact(teamId, before, after);
      return { before, contact: after };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
    }
  }
  throw staleVersion();
}

export function listContacts(teamId: string, query: ListContactsQuery): Promise<Page<Contact>> {
  const filters: ItemFilter[] = [];
  if (query.tag !== undefined) filters.push({ path: 'tags', op: 'contains', value: query.tag });
  if (query.subscribed !== undefined) filters.push({ path: 'subscribed', op: '=', value: query.subscribed });
  if (query.property !== undefined) {
    const at = query.property.indexOf(':');
    filters.push({ path: ['properties', query.property.slice(0, at)], op: '=', value: query.property.slice(at + 1) });
  }
  return listCollection({ partition: teamContactsPartition(teamId), filters }, query, toContact);
}

/**
 * Deletes the contact and frees its address. With `erase`, the deletion is logged for the team as a GDPR
 * erasure: a SHA-256 of the address, the time and the key that asked, and nothing else about the person.
 */
export async function deleteContact(teamId: string, id: string, erase: { keyId: string } | undefined): Promise<void> {
  const contact = await getTeamContact(teamId, id);
  const now = Date.now();
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: tableName(), Key: contactKey(id), ConditionExpression: 'team_id = :team', ExpressionAttributeValues: { ':team': teamId } } },
          { Delete: { TableName: tableName(), Key: emailKey(teamId, contact.email) } },
          ...(erase
            ? [
                {
                  Put: {
                    TableName: tableName(),
                    Item: {
                      pk: `TEAM#${teamId}#ERASURES`,
                      sk: newId('event', now),
                      email_sha256: createHash('sha256').update(contact.email).digest('hex'),
                      erased_at: nowIso(now),
                      key_id: erase.keyId,
                    },
                  },
                },
              ]
            : []),
        ],
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException) throw notFound('Contact');
    throw error;
  }
  // What the contact's partition still holds: its events, enrolments, list memberships and conversions.
  // Runs still waiting find their enrolment gone and end at their next step without sending.
  await deletePartition(contactKey(id).pk);
  // Attribution remembers the last email per (hashed) address; an erasure leaves no link to it.
  if (erase) await forgetLastSent(teamId, contact.email);
}
