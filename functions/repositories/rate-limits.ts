/**
 * Fixed-window request counters. One atomic conditional ADD per subject per request: a request is admitted
 * only if the counter is below the limit, so N+k concurrent requests admit exactly N, without races.
 *   counter: pk RATE#<subject> sk <window start, epoch s>   expires_at = window end + 1 window
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import { tableName } from './table.js';

export interface WindowUsage {
  limit: number;
  remaining: number;
  /** Epoch seconds when the window resets. */
  reset: number;
  admitted: boolean;
}

const counterKey = (subject: string, windowStart: number) => ({ pk: `RATE#${subject}`, sk: String(windowStart) });

export async function consumeRequest(subject: string, limit: number, windowSeconds: number, nowMs: number): Promise<WindowUsage> {
  const windowStart = Math.floor(nowMs / 1000 / windowSeconds) * windowSeconds;
  const reset = windowStart + windowSeconds;
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: counterKey(subject, windowStart),
        UpdateExpression: 'ADD hits :one SET expires_at = :expires',
        ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
        ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':expires': reset + windowSeconds },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const hits = Number(Attributes?.hits ?? 1);
    return { limit, remaining: Math.max(0, limit - hits), reset, admitted: true };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { limit, remaining: 0, reset, admitted: false };
    throw error;
  }
}

/** Gives back a hit that was counted for a request another limit then refused. */
export async function refundRequest(subject: string, windowSeconds: number, nowMs: number): Promise<void> {
  const windowStart = Math.floor(nowMs / 1000 / windowSeconds) * windowSeconds;
  await documentClient.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: counterKey(subject, windowStart),
      UpdateExpression: 'ADD hits :minus',
      ConditionExpression: 'attribute_exists(hits)',
      ExpressionAttributeValues: { ':minus': -1 },
    }),
  ).catch((error) => {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  });
}
