/**
 * Per-team send quotas, counted atomically: one conditional ADD on the month's counter item, which holds
 * both the month total and the day's count, admits the whole request or none of it.
 *   counter: pk QUOTA#<team> sk <YYYY-MM>   attributes: total, d<DD>   expires_at = two months later
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import { epochSeconds, tableName } from './table.js';

export interface QuotaLimits {
  /** null = unlimited; 0 = no sending at all */
  daily: number | null;
  monthly: number | null;
}

export type QuotaResult =
  | { admitted: true }
  | { admitted: false; period: 'day' | 'month'; limit: number; resetsAt: string; never?: true };

export async function consumeSendQuota(teamId: string, count: number, limits: QuotaLimits, now = new Date()): Promise<QuotaResult> {
  if (limits.daily === null && limits.monthly === null) return { admitted: true };
  const month = now.toISOString().slice(0, 7);
  const dayAttr = `d${now.toISOString().slice(8, 10)}`;
  const conditions: string[] = [];
  const values: Record<string, unknown> = { ':n': count, ':expires': epochSeconds(now.getTime()) + 62 * 86400 };
  if (limits.monthly !== null) {
    conditions.push('(attribute_not_exists(#total) OR #total <= :monthMax)');
    values[':monthMax'] = limits.monthly - count;
  }
  if (limits.daily !== null) {
    conditions.push('(attribute_not_exists(#day) OR #day <= :dayMax)');
    values[':dayMax'] = limits.daily - count;
  }
  const nextDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
  const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
  // Larger than the whole quota: no amount of waiting helps, so it is not a rate-style refusal.
  if (limits.daily !== null && count > limits.daily) return { admitted: false, period: 'day', limit: limits.daily, resetsAt: nextDay, never: true };
  if (limits.monthly !== null && count > limits.monthly) return { admitted: false, period: 'month', limit: limits.monthly, resetsAt: nextMonth, never: true };
  try {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk: `QUOTA#${teamId}`, sk: month },
        UpdateExpression: 'ADD #total :n, #day :n SET expires_at = :expires',
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: { '#total': 'total', '#day': dayAttr },
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { admitted: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const used = (attr: string) => Number(error.Item?.[attr]?.N ?? 0);
    const dayExceeded = limits.daily !== null && used(dayAttr) + count > limits.daily;
    return dayExceeded
      ? { admitted: false, period: 'day', limit: limits.daily!, resetsAt: nextDay }
      : { admitted: false, period: 'month', limit: limits.monthly!, resetsAt: nextMonth };
  }
}

/** Gives back what an accepted request counted, on the day and month it was counted (cancel, failed queueing). */
export async function refundSendQuota(teamId: string, count: number, countedAt: Date): Promise<void> {
  if (count <= 0) return;
  await documentClient
    .send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk: `QUOTA#${teamId}`, sk: countedAt.toISOString().slice(0, 7) },
        UpdateExpression: 'ADD #total :minus, #day :minus',
        ConditionExpression: 'attribute_exists(#total)',
        ExpressionAttributeNames: { '#total': 'total', '#day': `d${countedAt.toISOString().slice(8, 10)}` },
        ExpressionAttributeValues: { ':minus': -count },
      }),
    )
    .catch((error) => {
      // Nothing was counted (no quota configured then): nothing to give back.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
}
