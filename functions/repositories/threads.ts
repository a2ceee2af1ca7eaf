/**
 * Threads and the lookups that put a message in one. Access patterns: a thread by id, an inbox's threads
 * by latest activity, the thread a Message-ID belongs to (In-Reply-To/References), the thread of a
 * normalised subject among the same participants.
 *   thread:   pk THREAD#<id> sk THREAD         gsi1pk INBOX#<inbox>#THREADS gsi1sk <latest message id>
 *   ref:      pk MSGREF#<inbox>#<message-id> sk REF   → thread_id
 *   subject:  pk SUBJECT#<inbox>#<key> sk SUBJECT     → thread_id
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import type { Thread } from '../schemas/messages.js';
import { TABLE_SCHEMA, batchGetAll, listOwnerCollection, tableName, type Page } from './table.js';

const { byOwner } = TABLE_SCHEMA.indexes;
const threadKey = (id: string) => ({ pk: `THREAD#${id}`, sk: 'THREAD' });
const refKey = (inboxId: string, messageId: string) => ({ pk: `MSGREF#${inboxId}#${messageId.toLowerCase()}`, sk: 'REF' });
const subjectKey = (inboxId: string, key: string) => ({ pk: `SUBJECT#${inboxId}#${key}`, sk: 'SUBJECT' });
const inboxThreadsPartition = (inboxId: string) => `INBOX#${inboxId}#THREADS`;

/** The thread of the first of `messageIds` (most specific first) that this inbox has seen. */
export async function findThreadByMessageIds(inboxId: string, messageIds: string[]): Promise<string | undefined> {
  const unique = [...new Set(messageIds.map((m) => m.toLowerCase()))].slice(0, 100);
  if (!unique.length) return undefined;
  const items = await batchGetAll(unique.map((m) => refKey(inboxId, m)));
  const found = new Map(items.map((item) => [String(item.pk), String(item.thread_id)]));
  for (const id of unique) {
    const thread = found.get(refKey(inboxId, id).pk);
    if (thread) return thread;
  }
  return undefined;
}

export async function findThreadBySubject(inboxId: string, key: string): Promise<string | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: subjectKey(inboxId, key), ConsistentRead: true }));
  return Item ? String(Item.thread_id) : undefined;
}

/** The writes that record a message in its thread (run in the same transaction as the message). */
export function threadWrites(input: {
  threadId: string;
  isNew: boolean;
  inboxId: string;
  teamId: string;
  subject: string;
  participants: string[];
  messageId: string;
  at: string;
  rfcMessageIds: string[];
  subjectKey: string;
}) {
  const writes: Record<string, unknown>[] = [];
  const participants = new Set(input.participants.length ? input.participants : ['(unknown)']);
  if (input.isNew) {
    writes.push({
      Put: {
        TableName: tableName(),
        Item: {
          ...threadKey(input.threadId),
          [byOwner.partitionKey]: inboxThreadsPartition(input.inboxId),
          [byOwner.sortKey]: input.messageId,
          id: input.threadId,
          inbox_id: input.inboxId,
          team_id: input.teamId,
          subject: input.subject,
          participants,
          message_count: 1,
          last_message_at: input.at,
          created_at: input.at,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  } else {
    writes.push({
      Update: {
        TableName: tableName(),
        Key: threadKey(input.threadId),
        UpdateExpression: 'ADD message_count :one, participants :people SET last_message_at = :at, #gsk = :latest',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#gsk': byOwner.sortKey },
        ExpressionAttributeValues: { ':one': 1, ':people': participants, ':at': input.at, ':latest': input.messageId },
      },
    });
  }
  for (const rfcId of new Set(input.rfcMessageIds.map((m) => m.toLowerCase()))) {
    writes.push({ Put: { TableName: tableName(), Item: { ...refKey(input.inboxId, rfcId), thread_id: input.threadId } } });
  }
  writes.push({ Put: { TableName: tableName(), Item: { ...subjectKey(input.inboxId, input.subjectKey), thread_id: input.threadId } } });
  return writes;
}

function toThread(item: Record<string, unknown>): Thread {
  const t = item as unknown as Thread & { participants: Set<string> };
  return {
    id: t.id,
    inbox_id: t.inbox_id,
    team_id: t.team_id,
    subject: t.subject,
    participants: [...(t.participants ?? [])].sort(),
    message_count: t.message_count,
    last_message_at: t.last_message_at,
    created_at: t.created_at,
  };
}

export async function findThread(id: string): Promise<Thread | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: threadKey(id), ConsistentRead: true }));
  return Item ? toThread(Item) : undefined;
}

export function listInboxThreads(inboxId: string, options: { limit: number; cursor?: string }): Promise<Page<Thread>> {
  return listOwnerCollection(inboxThreadsPartition(inboxId), options, toThread);
}

/** Makes more Message-IDs of a message lead to its thread (SES replaces the Message-ID we send with its own). */
export async function addThreadRefs(inboxId: string, threadId: string, messageIds: string[]): Promise<void> {
  await Promise.all(
    [...new Set(messageIds.map((m) => m.toLowerCase()))].map((id) =>
      documentClient.send(new PutCommand({ TableName: tableName(), Item: { ...refKey(inboxId, id), thread_id: threadId } })),
    ),
  );
}

/** Removes a thread (purging a deleted inbox; its Message-ID and subject lookups expire with the inbox's). */
export async function deleteThread(id: string): Promise<void> {
  await documentClient.send(new DeleteCommand({ TableName: tableName(), Key: threadKey(id) }));
}
