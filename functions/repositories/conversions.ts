/**
 * Conversions and the data last-touch attribution reads. Access patterns: the last email sent to an address
 * (by team), claim an order id once per team, store a conversion with its counters.
 *   last sent:  pk LASTSENT#<team>#<sha256(address)>  sk LASTSENT   email_id, campaign_id, sent_at, expires_at = sent + window + 1 day
 *   order:      pk CONVORDER#<team>#<order id>         sk CONVORDER  conversion_id, body_sha256, state claimed|done, lease_until (ms)
 *   conversion: pk CONTACT#<contact>                   sk REVENUE#<id>   the API view plus team_id, email, metadata
 *               (a prefix sorting after ENROL#: reading a contact with its enrolments skips its conversions)
 * A conversion lives in its contact's partition, so erasing the contact erases it; the last-sent item names
 * the address only by hash and expires with the attribution window. The order item outlives an erasure (it
 * holds no personal data) so an order id stays used.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { documentClient } from '../shared/clients.js';
import type { Conversion } from '../schemas/conversions.js';
import { counterUpdates, transactWithCounters, type CounterChange } from './stats.js';
import { conditionalUpdate, epochSeconds, tableName, withoutNulls, getItem } from './table.js';


const hash = (value: string) => createHash('sha256').update(value).digest('hex');
const lastSentKey = (teamId: string, address: string) => ({ pk: `LASTSENT#${teamId}#${hash(address)}`, sk: 'LASTSENT' });
const orderKey = (teamId: string, orderId: string) => ({ pk: `CONVORDER#${teamId}#${orderId}`, sk: 'CONVORDER' });
const conversionKey = (contactId: string, id: string) => ({ pk: `CONTACT#${contactId}`, sk: `REVENUE#${id}` });

export interface LastSent {
  email_id: string;
  campaign_id: string | null;
  sent_at: string;
}

/**
 * Remembers `sent` as the last email sent to `address`; the caller records each send once
 * (domain/email-stats.ts). Two emails to one address recorded at the same moment may land in either order:
 * the later-written one wins.
 */
export async function recordLastSent(teamId: string, address: string, sent: LastSent, windowDays: number): Promise<void> {
  const expiresAt = epochSeconds(Date.parse(sent.sent_at)) + (windowDays + 1) * 86_400;
  await documentClient.send(new PutCommand({ TableName: tableName(), Item: withoutNulls({ ...lastSentKey(teamId, address), ...sent, expires_at: expiresAt }) }));
}

/** Forgets the last email sent to an address (a GDPR erasure of the contact). */
export async function forgetLastSent(teamId: string, address: string): Promise<void> {
  await documentClient.send(new DeleteCommand({ TableName: tableName(), Key: lastSentKey(teamId, address) }));
}

export async function findLastSent(teamId: string, address: string): Promise<LastSent | undefined> {
  const Item = await getItem(lastSentKey(teamId, address));
  return Item ? { email_id: String(Item.email_id), campaign_id: (Item.campaign_id as string | undefined) ?? null, sent_at: String(Item.sent_at) } : undefined;
}

export interface OrderClaim {
  conversion_id: string;
  body_sha256: string;
  state: 'claimed' | 'done';
  /** Until when (ms) the request that claimed it is presumed to be working on it. */
  lease_until: number;
}

/** Claims the order id for a conversion; if it is taken, returns who has it. */
export async function claimOrder(teamId: string, orderId: string, claim: Omit<OrderClaim, 'state'>): Promise<{ claimed: true } | { claimed: false; existing: OrderClaim }> {
  try {
    await documentClient.send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...orderKey(teamId, orderId), ...claim, state: 'claimed', team_id: teamId },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { claimed: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException) || !error.Item) throw error;
    const { conversion_id, body_sha256, state, lease_until } = unmarshall(error.Item) as OrderClaim;
    return { claimed: false, existing: { conversion_id, body_sha256, state, lease_until } };
  }
}

/** Takes over a claim whose request stopped before finishing (its lease ran out); false if another did first. */
export function takeOverOrder(teamId: string, orderId: string, expiredLease: number, leaseUntil: number): Promise<boolean> {
  return conditionalUpdate({
    TableName: tableName(),
    Key: orderKey(teamId, orderId),
    UpdateExpression: 'SET lease_until = :lease',
    ConditionExpression: '#state = :claimed AND lease_until = :expired',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: { ':lease': leaseUntil, ':claimed': 'claimed', ':expired': expiredLease },
  });
}

/**
 * Stores the conversion, marks its order claim done and adds to the counters, all or nothing. If the
 * conversion is already stored (a concurrent finisher of the same claim), that one is returned.
 */
export async function storeConversion(
  teamId: string,
  conversion: Conversion,
  extra: { email: string; metadata: Record<string, unknown> | undefined },
  counters: CounterChange,
): Promise<Conversion> {
  const key = conversionKey(conversion.contact_id, conversion.id);
  const orderUpdate = conversion.order_id
    ? [
        {
          Update: {
            TableName: tableName(),
            Key: orderKey(teamId, conversion.order_id),
            UpdateExpression: 'SET #state = :done, contact_id = :contact',
            ConditionExpression: 'conversion_id = :id',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':done': 'done', ':contact': conversion.contact_id, ':id': conversion.id },
          },
        },
      ]
    : [];
  try {
    await transactWithCounters([
      { Put: { TableName: tableName(), Item: withoutNulls({ ...key, ...conversion, ...extra, team_id: teamId }), ConditionExpression: 'attribute_not_exists(pk)' } },
      ...orderUpdate,
      ...counterUpdates(counters),
    ]);
    return conversion;
  } catch (error) {
    if (!(error instanceof TransactionCanceledException) || error.CancellationReasons?.[0]?.Code !== 'ConditionalCheckFailed') throw error;
    const Item = await getItem(key);
    return toConversion(Item!);
  }
}

function toConversion(item: Record<string, unknown>): Conversion {
  const i = item as unknown as Conversion;
  return {
    id: i.id,
    contact_id: i.contact_id,
    contact_created: i.contact_created,
    event: i.event,
    revenue: i.revenue ?? null,
    currency: i.currency,
    order_id: i.order_id ?? null,
    email_id: i.email_id ?? null,
    campaign_id: i.campaign_id ?? null,
    attributed: i.attributed,
    ended_enrollments: i.ended_enrollments ?? [],
    created_at: i.created_at,
  };
}
