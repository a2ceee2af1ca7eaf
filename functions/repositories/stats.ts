/**
 * Stats counters, added to with atomic ADDs as events arrive (never computed by reading emails).
 *   team day:     pk STATS#<team>                       sk DAY#<YYYY-MM-DD>#<shard>   sent, delivered, …, converted, rev_<CUR>
 *   campaign day: pk STATS#<team>#CAMPAIGN#<campaign>   sk DAY#<YYYY-MM-DD>#<shard>   same attributes
 * Revenue is kept in hundredths (`rev_USD`: integers add exactly). A day is split into up to 10 shard items
 * by email (or conversion) id: concurrent transactions on one item collide (TransactionConflict) and one item
 * takes about 1,000 writes a second, so a busy team's events spread over ten. A report is one Query of one
 * partition (at most 366 × 10 small items, summed per day); a campaign's totals are one Query of its partition.
 *
 * Email outcomes count once per (email, recipient, counter): the claim is a token on the email item
 * (domain/email-stats.ts), so repeated opens and clicks by one recipient count once (unique).
 */
import { createHash, randomUUID } from 'node:crypto';
import { TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import { COUNTERS, dayOf, totalsOf, type CounterName, type DayTally } from '../domain/stats.js';
import type { Counters } from '../schemas/stats.js';
import { queryAll, queryAllWithPrefix, tableName } from './table.js';

/** Transactions on a busy day item can collide; each retry waits longer (with jitter). */
const CONFLICT_ATTEMPTS = 8;

const teamStatsPartition = (teamId: string) => `STATS#${teamId}`;
const campaignStatsPartition = (teamId: string, campaignId: string) => `STATS#${teamId}#CAMPAIGN#${campaignId}`;
const SHARDS = 10;
const shardOf = (seed: string) => createHash('sha256').update(seed).digest()[0]! % SHARDS;
const dayKey = (pk: string, day: string, shard: number) => ({ pk, sk: `DAY#${day}#${shard}` });
const REVENUE_PREFIX = 'rev_';

export interface CounterChange {
  teamId: string;
  /** The campaign the event belongs to: its day item is added to as well. */
  campaignId: string | null;
  day: string;
  /** Picks the day's shard item: the email or conversion id, so one email's events share an item. */
  shardSeed: string;
  counts: Partial<Record<CounterName, number>>;
  revenue?: { currency: string; cents: number };
}

/** The Update items that add `change` to the team's day (and the campaign's): for a caller's transaction. */
export function counterUpdates(change: CounterChange) {
  const names: Record<string, string> = {};
  const values: Record<string, number> = {};
  const adds: string[] = [];
  for (const name of COUNTERS) {
    const n = change.counts[name];
    if (!n) continue;
    names[`#${name}`] = name;
    values[`:${name}`] = n;
    adds.push(`#${name} :${name}`);
  }
  if (change.revenue && change.revenue.cents !== 0) {
    names['#rev'] = `${REVENUE_PREFIX}${change.revenue.currency}`;
    values[':rev'] = change.revenue.cents;
    adds.push('#rev :rev');
  }
  if (adds.length === 0) return [];
  const partitions = [teamStatsPartition(change.teamId), ...(change.campaignId ? [campaignStatsPartition(change.teamId, change.campaignId)] : [])];
  const shard = shardOf(change.shardSeed);
  return partitions.map((pk) => ({
    Update: {
      TableName: tableName(),
      Key: dayKey(pk, change.day, shard),
      UpdateExpression: `ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  }));
}

/**
 * Adds `change` to the team's day (and the campaign's) with plain ADDs, no transaction: for outcomes whose
 * once-only claim was already made on the email item (domain/email-stats.ts), where a transaction's double
 * price would buy nothing.
 */
export async function addToCounters(change: CounterChange): Promise<void> {
  await Promise.all(counterUpdates(change).map(({ Update }) => documentClient.send(new UpdateCommand(Update))));
}

const conflictBackoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));

/** A transaction that may collide with others on the same day item: retried with backoff, then thrown. */
export async function transactWithCounters(items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await documentClient.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      if (!isConflict(error) || attempt + 1 >= CONFLICT_ATTEMPTS) throw error;
      await conflictBackoff(attempt);
    }
  }
}

/** Only collisions and throttling: a failed condition is the caller's answer, not something to retry. */
function isConflict(error: unknown): boolean {
  if (error instanceof TransactionConflictException) return true;
  if (!(error instanceof TransactionCanceledException)) return false;
  const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
  return !codes.includes('ConditionalCheckFailed') && codes.some((code) => code === 'TransactionConflict' || code === 'ThrottlingError' || code === 'ProvisionedThroughputExceeded');
}

function toTally(item: Record<string, unknown>): DayTally {
  const counts: DayTally['counts'] = {};
  for (const name of COUNTERS) if (typeof item[name] === 'number') counts[name] = item[name];
  const revenueCents: Record<string, number> = {};
  for (const [attribute, value] of Object.entries(item)) {
    if (attribute.startsWith(REVENUE_PREFIX) && typeof value === 'number') revenueCents[attribute.slice(REVENUE_PREFIX.length)] = value;
  }
  return { date: String(item.sk).slice('DAY#'.length, 'DAY#YYYY-MM-DD'.length), counts, revenueCents };
}

async function dayTallies(pk: string, from: string, to: string): Promise<DayTally[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    // Every shard of `to` sorts between `DAY#<to>` and `DAY#<to>#~`.
    ExpressionAttributeValues: { ':pk': pk, ':from': `DAY#${from}`, ':to': `DAY#${to}#~` },
  });
  return items.map(toTally);
}

export const teamDayTallies = (teamId: string, from: string, to: string) => dayTallies(teamStatsPartition(teamId), from, to);
export const campaignDayTallies = (teamId: string, campaignId: string, from: string, to: string) => dayTallies(campaignStatsPartition(teamId, campaignId), from, to);

/** A campaign's counters summed over its whole life (a broadcast's progress reads sent and failed here). */
export async function campaignTotals(teamId: string, campaignId: string): Promise<Counters> {
  return totalsOf((await queryAllWithPrefix(campaignStatsPartition(teamId, campaignId), 'DAY#')).map(toTally));
}

/**
 * One contact unsubscribed (from everything), on the team's day and, when it came from a campaign's email,
 * the campaign's. The caller counts a transition, so a repeated unsubscribe is not counted again.
 */
export function recordUnsubscribe(teamId: string, campaignId: string | null, at: string): Promise<void> {
  // The team's and the campaign's counters together (one transaction: both or neither).
  return transactWithCounters(counterUpdates({ teamId, campaignId, day: dayOf(at), shardSeed: randomUUID(), counts: { unsubscribed: 1 } }));
}
