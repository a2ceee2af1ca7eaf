/**
 * Inbox messages. Access patterns: get by id, an inbox's messages newest first, a thread's messages in
 * order (pointer items under the thread), write once per (receipt, inbox) however often it is delivered.
 *   message: pk MSG#<id> sk MSG                gsi1pk INBOX#<inbox>#MESSAGES gsi1sk <id>
 *   pointer: pk THREAD#<thread> sk MSG#<id>     (the thread's messages, oldest first)
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import type { InboxMessage } from '../schemas/messages.js';
import { TABLE_SCHEMA, listOwnerCollection, tableName, withoutNulls, type Page } from './table.js';

const { byOwner } = TABLE_SCHEMA.indexes;
const messageKey = (id: string) => ({ pk: `MSG#${id}`, sk: 'MSG' });
const inboxMessagesPartition = (inboxId: string) => `INBOX#${inboxId}#MESSAGES`;

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
            Put: {
              TableName: tableName(),
              Item: withoutNulls({ ...messageKey(message.id), [byOwner.partitionKey]: inboxMessagesPartition(message.inbox_id), [byOwner.sortKey]: message.id, ...message }),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
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
    error: i.error ?? null,
  };
}

export async function findMessage(id: string): Promise<InboxMessage | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: messageKey(id), ConsistentRead: true }));
  if (!Item) return undefined;
  const { pk: _pk, sk: _sk, [byOwner.partitionKey]: _g, [byOwner.sortKey]: _s, ...message } = Item;
  return toMessage(message);
}

export function listInboxMessages(inboxId: string, options: { limit: number; cursor?: string }): Promise<Page<InboxMessage>> {
  return listOwnerCollection(inboxMessagesPartition(inboxId), options, (item) => {
    const { pk: _pk, sk: _sk, [byOwner.partitionKey]: _g, [byOwner.sortKey]: _s, ...message } = item;
    return toMessage(message);
  });
}

/** Ids of a thread's messages, oldest first. */
export async function listThreadMessageIds(threadId: string): Promise<string[]> {
  const ids: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `THREAD#${threadId}`, ':prefix': 'MSG#' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) ids.push(String(item.message_id));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return ids;
}
