/**
 * Fixed-window request counters: one item per team (or per teamless key) and window, holding the team's
 * count and each of its keys' counts, so a request counts against both limits in one atomic conditional ADD:
 * it is admitted only if both are below their limits, N+k concurrent requests admit exactly N, and a
 * refused request counts nowhere (nothing to refund).
 *   counter: pk RATE#<subject> sk <window start, epoch s>   hits, k_<key id>   expires_at = window end + 1 window
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { documentClient } from '../shared/clients.js';
import { tableName } from './table.js';

export interface WindowUsage {
  limit: number;
  remaining: number;
  /** Epoch seconds when the window resets. */
  reset: number;
  admitted: boolean;
}

export interface RateLimited {
  /** `team:<id>`, or `key:<id>` for a key without a team (root). */
  subject: string;
  subjectLimit: number;
  /** The key's own limit within the subject's window; absent when the subject is the key. */
  key?: { id: string; limit: number };
}

const windowStartOf = (nowMs: number, windowSeconds: number) => Math.floor(nowMs / 1000 / windowSeconds) * windowSeconds;
const counterKey = (counted: RateLimited, windowStart: number) => ({ pk: `RATE#${counted.subject}`, sk: String(windowStart) });

/** Counts one request; answers the usage of each window (the subject's, then the key's) as they stand after it. */
export async function consumeRequest(counted: RateLimited, windowSeconds: number, nowMs: number): Promise<WindowUsage[]> {
  const windowStart = windowStartOf(nowMs, windowSeconds);
  const reset = windowStart + windowSeconds;
  const keyAttr = counted.key && `k_${counted.key.id}`;
  const usage = (item: Record<string, unknown>, admitted: boolean): WindowUsage[] => {
    const windows = [{ limit: counted.subjectLimit, hits: Number(item.hits ?? 0) }];
    if (counted.key) windows.push({ limit: counted.key.limit, hits: Number(item[keyAttr!] ?? 0) });
    return windows.map(({ limit, hits }) => ({ limit, remaining: Math.max(0, limit - hits), reset, admitted: admitted || hits < limit }));
  };
  try {
    const { Attributes = {} } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: counterKey(counted, windowStart),
        UpdateExpression: `ADD hits :one${keyAttr ? ', #key :one' : ''} SET expires_at = :expires`,
        ConditionExpression: `(attribute_not_exists(hits) OR hits < :limit)${keyAttr ? ' AND (attribute_not_exists(#key) OR #key < :keyLimit)' : ''}`,
        ...(keyAttr && { ExpressionAttributeNames: { '#key': keyAttr } }),
        ExpressionAttributeValues: { ':one': 1, ':limit': counted.subjectLimit, ':expires': reset + windowSeconds, ...(counted.key && { ':keyLimit': counted.key.limit }) },
        ReturnValues: 'UPDATED_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return usage(Attributes, true);
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return usage(error.Item ? unmarshall(error.Item) : {}, false);
  }
}

/** Takes back one admitted request of the window `nowMs` fell in (counted before its key was verified, and the key failed). */
export async function refundRequest(counted: RateLimited, windowSeconds: number, nowMs: number): Promise<void> {
  const keyAttr = counted.key && `k_${counted.key.id}`;
  await documentClient.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: counterKey(counted, windowStartOf(nowMs, windowSeconds)),
      UpdateExpression: `ADD hits :minus${keyAttr ? ', #key :minus' : ''}`,
      ConditionExpression: 'attribute_exists(hits)',
      ...(keyAttr && { ExpressionAttributeNames: { '#key': keyAttr } }),
      ExpressionAttributeValues: { ':minus': -1 },
    }),
  );
}
