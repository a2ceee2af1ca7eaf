/**
 * Webhook deliveries and their attempts. Access patterns: create the delivery of one event to one webhook
 * exactly once, claim it for an attempt (one worker at a time, never after it was delivered), record an
 * attempt and its outcome, restart it (manual retry), list a webhook's latest attempts.
 *   delivery: pk DELIVERY#<webhook>#<event> sk DELIVERY   expires_at = created + 30 days
 *   attempt:  pk WEBHOOK#<webhook>#ATTEMPTS sk <attempt id (ULID: time-sorted)>   expires_at = created + 30 days
 * A delivery has one current `run` (its chain of queued attempts); a manual retry starts a new run, and
 * queue messages of an older run are dropped, so retries never multiply.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ulid } from 'ulid';
import { documentClient } from '../shared/clients.js';
import { newId } from '../shared/ids.js';
import { ATTEMPTS_KEPT, type WebhookAttempt, type WebhookEventType } from '../schemas/webhooks.js';
import { epochSeconds, nowIso, tableName } from './table.js';

const RETENTION_SECONDS = 30 * 24 * 3600;
const deliveryKey = (webhookId: string, eventId: string) => ({ pk: `DELIVERY#${webhookId}#${eventId}`, sk: 'DELIVERY' });
const attemptsPartition = (webhookId: string) => `WEBHOOK#${webhookId}#ATTEMPTS`;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  webhook_id: string;
  team_id: string;
  event_id: string;
  event_type: WebhookEventType;
  /** The exact body every attempt sends (signatures cover these bytes). */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  run: string;
  created_at: string;
}

const newRun = () => ulid();

function toDelivery(raw: Record<string, unknown>): Delivery {
  const { webhook_id, team_id, event_id, event_type, payload, status, attempts, run, created_at } = raw as unknown as Delivery;
  return { webhook_id, team_id, event_id, event_type, payload, status, attempts: attempts ?? 0, run, created_at };
}

/**
 * Creates the delivery unless it exists. Returns the run to queue, or undefined when there is nothing to
 * queue: an existing delivery is only queued again if no attempt was ever made (its first message may have
 * been lost between this write and the queue), and the claim makes a duplicate message harmless.
 */
export async function createDelivery(input: Omit<Delivery, 'status' | 'attempts' | 'run' | 'created_at'>): Promise<string | undefined> {
  const now = Date.now();
  const delivery: Delivery = { ...input, status: 'pending', attempts: 0, run: newRun(), created_at: nowIso(now) };
  try {
    await documentClient.send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...deliveryKey(input.webhook_id, input.event_id), ...delivery, expires_at: epochSeconds(now) + RETENTION_SECONDS },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return delivery.run;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException) || !error.Item) throw error;
    const existing = toDelivery(unmarshall(error.Item));
    return existing.status === 'pending' && existing.attempts === 0 ? existing.run : undefined;
  }
}

export async function findDelivery(webhookId: string, eventId: string): Promise<Delivery | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: deliveryKey(webhookId, eventId), ConsistentRead: true }));
  return Item ? toDelivery(Item) : undefined;
}

/**
 * Takes the delivery for one attempt: only in the given run, never once delivered, and never while another
 * attempt holds an unexpired lease. Counts the attempt. `busyForMs`: an attempt of this run is (or was, if
 * its worker died) under way; try again when its lease ends rather than dropping the run.
 */
export async function claimDelivery(webhookId: string, eventId: string, run: string, leaseMs: number): Promise<{ delivery: Delivery } | { busyForMs: number } | undefined> {
  const now = Date.now();
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: deliveryKey(webhookId, eventId),
        UpdateExpression: 'SET lease_until = :lease ADD attempts :one',
        ConditionExpression: 'attribute_exists(pk) AND #run = :run AND #status <> :delivered AND (attribute_not_exists(lease_until) OR lease_until < :now)',
        ExpressionAttributeNames: { '#run': 'run', '#status': 'status' },
        ExpressionAttributeValues: { ':lease': now + leaseMs, ':one': 1, ':run': run, ':delivered': 'delivered', ':now': now },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { delivery: toDelivery(Attributes!) };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const old = error.Item ? unmarshall(error.Item) : undefined;
    if (!old || old.run !== run || old.status === 'delivered') return undefined;
    return { busyForMs: Math.max(0, Number(old.lease_until) - now) };
  }
}

/** Ends the attempt: logs it and sets the delivery's status, releasing the claim (only within the same run). */
export async function recordAttempt(delivery: Delivery, attempt: Omit<WebhookAttempt, 'id' | 'webhook_id' | 'event_id' | 'event_type' | 'attempt' | 'created_at'>, status: DeliveryStatus): Promise<WebhookAttempt> {
  const now = Date.now();
  const logged: WebhookAttempt = {
    id: newId('webhookAttempt', now),
    webhook_id: delivery.webhook_id,
    event_id: delivery.event_id,
    event_type: delivery.event_type,
    attempt: delivery.attempts,
    ...attempt,
    created_at: nowIso(now),
  };
  await Promise.all([
    documentClient.send(
      new PutCommand({
        TableName: tableName(),
        Item: { pk: attemptsPartition(delivery.webhook_id), sk: logged.id, ...logged, expires_at: epochSeconds(now) + RETENTION_SECONDS },
      }),
    ),
    documentClient
      .send(
        new UpdateCommand({
          TableName: tableName(),
          Key: deliveryKey(delivery.webhook_id, delivery.event_id),
          UpdateExpression: 'SET #status = :status, last_attempt_at = :now REMOVE lease_until',
          ConditionExpression: '#run = :run',
          ExpressionAttributeNames: { '#run': 'run', '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':now': logged.created_at, ':run': delivery.run },
        }),
      )
      .catch((error) => {
        // A manual retry started a new run meanwhile: that run owns the status now.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }),
  ]);
  return logged;
}

/** Starts a new run (a manual retry): earlier runs' queued messages are dropped from now on. */
export async function restartDelivery(webhookId: string, eventId: string): Promise<Delivery | undefined> {
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: deliveryKey(webhookId, eventId),
        UpdateExpression: 'SET #run = :run, #status = :pending, expires_at = :expires REMOVE lease_until',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#run': 'run', '#status': 'status' },
        ExpressionAttributeValues: { ':run': newRun(), ':pending': 'pending', ':expires': epochSeconds() + RETENTION_SECONDS },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toDelivery(Attributes!);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

function toAttempt(raw: Record<string, unknown>): WebhookAttempt {
  const { id, webhook_id, event_id, event_type, attempt, outcome, status_code, duration_ms, error, response_excerpt, next_retry_at, created_at } =
    raw as unknown as WebhookAttempt;
  return {
    id,
    webhook_id,
    event_id,
    event_type,
    attempt,
    outcome,
    status_code: status_code ?? null,
    duration_ms,
    error: error ?? null,
    response_excerpt: response_excerpt ?? null,
    next_retry_at: next_retry_at ?? null,
    created_at,
  };
}

export async function findAttempt(webhookId: string, attemptId: string): Promise<WebhookAttempt | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: { pk: attemptsPartition(webhookId), sk: attemptId } }));
  return Item ? toAttempt(Item) : undefined;
}

/** The webhook's latest attempts (at most ATTEMPTS_KEPT), newest first, optionally narrowed within them. */
export async function listAttempts(webhookId: string, filter: { limit: number; event_id?: string; outcome?: 'delivered' | 'failed' }): Promise<WebhookAttempt[]> {
  const { Items = [] } = await documentClient.send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': attemptsPartition(webhookId) },
      ScanIndexForward: false,
      Limit: ATTEMPTS_KEPT,
    }),
  );
  return Items.map(toAttempt)
    .filter((a) => (!filter.event_id || a.event_id === filter.event_id) && (!filter.outcome || a.outcome === filter.outcome))
    .slice(0, filter.limit);
}
