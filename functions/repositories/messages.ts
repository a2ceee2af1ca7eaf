/**
 * Inbox messages. Access patterns: get by id, an inbox's messages newest first, a thread's messages in
 * order (pointer items under the thread), write once per (receipt, inbox) however often it is delivered.
 *   message: pk MSG#<id> sk MSG                gsi1pk INBOX#<inbox>#MESSAGES gsi1sk <id>
 *   pointer: pk THREAD#<thread> sk MSG#<id>     (the thread's messages, oldest first)
 * The inbox's list filters by time with a key range on the (time-sortable) id, and by label, sender and read
 * state with filter expressions; `from_search` is the From header lowercased, because contains() is
 * case-sensitive. `version` counts changes (labels, read) for If-Match; items never changed have none (1).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import type { InboxMessage } from '../schemas/messages.js';
import { TABLE_SCHEMA, batchGetAll, listCollection, queryAllWithPrefix, tableName, type ItemFilter, type Page, newOwnedItemPut } from './table.js';

const { byOwner } = TABLE_SCHEMA.indexes;
const messageKey = (id: string) => ({ pk: `MSG#${id}`, sk: 'MSG' });
const inboxMessagesPartition = (inboxId: string) => `INBOX#${inboxId}#MESSAGES`;

export type StoredMessage = InboxMessage & { version: number };

/**
 * Stores the message and its place in the thread together; false if it was already stored (a redelivery).
 * `alsoWrite` carries the thread's own updates so the message and its thread never disagree.
 */
export async function storeMessage(message: InboxMessage, alsoWrite: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>): Promise<boolean> {
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: newOwnedItemPut(messageKey(message.id), { partition: inboxMessagesPartition(message.inbox_id), sortKey: message.id }, { ...message, from_search: message.from?.toLowerCase() }),
          },
          {
            Put: {
              TableName: tableName(),
              Item: { pk: `THREAD#${message.thread_id}`, sk: `MSG#${message.id}`, message_id: message.id },
            },
          },
          ...alsoWrite,
        ],
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

function toMessage(item: Record<string, unknown>): InboxMessage {
  const i = item as unknown as InboxMessage;
  return {
    ...i,
    from: i.from ?? null,
    message_id: i.message_id ?? null,
    in_reply_to: i.in_reply_to ?? null,
    verdicts: i.verdicts ?? null,
    text_key: i.text_key ?? null,
    html_key: i.html_key ?? null,
    ses_message_id: i.ses_message_id ?? null,
    email_id: i.email_id ?? null,
    raw_key: i.raw_key ?? null,
    error: i.error ?? null,
  };
}

/** The stored item as its message: without keys and search copies. */
function fromItem(item: Record<string, unknown>): StoredMessage {
  const { pk: _pk, sk: _sk, [byOwner.partitionKey]: _g, [byOwner.sortKey]: _s, from_search: _f, version, ...message } = item;
  return { ...toMessage(message), version: typeof version === 'number' ? version : 1 };
}

export async function findMessage(id: string): Promise<StoredMessage | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: messageKey(id), ConsistentRead: true }));
  return Item && fromItem(Item);
}

/** Messages by id, in the order given; ids with no message are left out. */
export async function findMessages(ids: string[]): Promise<StoredMessage[]> {
  const found = new Map((await batchGetAll(ids.map(messageKey))).map((item) => [String(item.id), fromItem(item)]));
  return ids.flatMap((id) => found.get(id) ?? []);
}

interface InboxMessageFilters {
  label?: string;
  /** Lowercase text the From header must contain. */
  from?: string;
  /** true: unread only; false: read only. */
  unread?: boolean;
  since?: string;
  until?: string;
}

/** An inbox's messages, newest first, optionally filtered. */
export function listInboxMessages(inboxId: string, options: { limit: number; cursor?: string } & InboxMessageFilters): Promise<Page<StoredMessage>> {
  const filters: ItemFilter[] = [];
  if (options.label) filters.push({ path: 'labels', op: 'contains', value: options.label });
  // from_search is the From header lowercased: DynamoDB's contains() is case-sensitive.
  if (options.from) filters.push({ path: 'from_search', op: 'contains', value: options.from });
  if (options.unread !== undefined) filters.push({ path: 'read', op: '=', value: !options.unread });
  return listCollection(
    { partition: inboxMessagesPartition(inboxId), timeRange: { kind: 'message', since: options.since, until: options.until }, filters },
    { limit: options.limit, cursor: options.cursor },
    fromItem,
  );
}

/**
 * Sets the message's labels and read state and bumps its version, if it is still in `inboxId` at
 * `expectedVersion`; undefined if not (changed or deleted meanwhile: read it again).
 */
export async function updateMessageState(
  id: string,
  inboxId: string,
  expectedVersion: number,
  state: Pick<InboxMessage, 'labels' | 'read'>,
): Promise<StoredMessage | undefined> {
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: messageKey(id),
        UpdateExpression: 'SET #labels = :labels, #read = :read, #version = :next',
        // A message never changed has no version attribute: it is at version 1.
        ConditionExpression: 'inbox_id = :inbox AND (attribute_not_exists(#version) OR #version = :expected)',
        ExpressionAttributeNames: { '#labels': 'labels', '#read': 'read', '#version': 'version' },
        ExpressionAttributeValues: { ':labels': state.labels, ':read': state.read, ':next': expectedVersion + 1, ':inbox': inboxId, ':expected': expectedVersion },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return fromItem(Attributes!);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** Ids of a thread's messages, oldest first. */
export async function listThreadMessageIds(threadId: string): Promise<string[]> {
  return (await queryAllWithPrefix(`THREAD#${threadId}`, 'MSG#')).map((item) => String(item.message_id));
}

/** Removes a message and its place in its thread (purging a deleted inbox). */
export async function deleteMessage(message: Pick<InboxMessage, 'id' | 'thread_id'>): Promise<void> {
  await Promise.all([
    documentClient.send(new DeleteCommand({ TableName: tableName(), Key: messageKey(message.id) })),
    documentClient.send(new DeleteCommand({ TableName: tableName(), Key: { pk: `THREAD#${message.thread_id}`, sk: `MSG#${message.id}` } })),
  ]);
}
