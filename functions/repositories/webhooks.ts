/**
 * Webhook subscriptions. Access patterns: get by id (with its signing secrets, for delivery), list a team's
 * newest first (also the fan-out's "who wants this event"), create, update with optimistic concurrency,
 * rotate the secret, record endpoint health (failing since, disabled), delete.
 *   webhook: pk WEBHOOK#<id> sk WEBHOOK   gsi1pk TEAM#<team>#WEBHOOKS gsi1sk <id>
 * Signing secrets are stored sealed (AES-GCM under a pepper-derived key, bound to the webhook id); after a
 * rotation the previous secret keeps signing alongside the new one for a grace period.
 */
import { randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { ApiError, notFound } from '../shared/errors.js';
import { seal, unseal, type Sealed } from '../shared/crypto/sealed.js';
import { MAX_WEBHOOKS_PER_TEAM, type CreateWebhookBody, type UpdateWebhookBody, type Webhook } from '../schemas/webhooks.js';
import { countOwnerCollection, listOwnerCollection, newOwnedItemPut, nowIso, tableName, versionedUpdate, type Page, conditionalUpdate } from './table.js';
import { staleVersion, teamIsActiveCondition } from './teams.js';

const webhookKey = (id: string) => ({ pk: `WEBHOOK#${id}`, sk: 'WEBHOOK' });
const teamWebhooksPartition = (teamId: string) => `TEAM#${teamId}#WEBHOOKS`;
/** How long the previous secret still signs after a rotation, so receivers can switch without losing events. */
export const SECRET_ROTATION_GRACE_MS = 24 * 3600 * 1000;

interface WebhookItem extends Webhook {
  team_id: string;
  secret: Sealed;
  previous_secret?: Sealed;
  previous_secret_expires_at?: number;
}

/** A webhook as the delivery worker needs it: the public view plus every secret that signs right now. */
export interface DeliverableWebhook extends Webhook {
  team_id: string;
  signing_secrets: string[];
}

function toWebhook(raw: object): Webhook {
  const i = raw as unknown as Webhook;
  return {
    id: i.id,
    url: i.url,
    event_types: i.event_types ?? null,
    inbox_ids: i.inbox_ids ?? null,
    description: i.description ?? null,
    enabled: i.enabled,
    disabled_reason: i.disabled_reason ?? null,
    failing_since: i.failing_since ?? null,
    secret_rotated_at: i.secret_rotated_at ?? null,
    created_at: i.created_at,
    updated_at: i.updated_at,
    version: i.version,
  };
}

/** `whsec_` + base64 of 32 random bytes: the format Standard Webhooks libraries accept as is. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export async function createWebhook(teamId: string, id: string, body: CreateWebhookBody): Promise<{ webhook: Webhook; secret: string }> {
  const Count = await countOwnerCollection(teamWebhooksPartition(teamId));
  if (Count >= MAX_WEBHOOKS_PER_TEAM) {
    throw new ApiError('validation_error', `A team can have at most ${MAX_WEBHOOKS_PER_TEAM} webhooks. Delete one, or subscribe one endpoint to more event types.`, {
      details: { limit: MAX_WEBHOOKS_PER_TEAM },
    });
  }
  const now = nowIso();
  const secret = newSecret();
  const webhook: Webhook = {
    id,
    url: body.url,
    event_types: body.event_types,
    inbox_ids: body.inbox_ids,
    description: body.description,
    enabled: body.enabled,
    disabled_reason: body.enabled ? null : 'manual',
    failing_since: null,
    secret_rotated_at: null,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  const item = { ...webhook, team_id: teamId, secret: await seal('webhook secrets', secret, id) };
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [teamIsActiveCondition(teamId), { Put: newOwnedItemPut(webhookKey(id), { partition: teamWebhooksPartition(teamId), sortKey: id }, item) }],
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException) throw notFound('Team');
    throw error;
  }
  return { webhook, secret };
}

async function getItem(id: string): Promise<WebhookItem | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: webhookKey(id), ConsistentRead: true }));
  return Item as WebhookItem | undefined;
}

export async function getTeamWebhook(teamId: string, id: string): Promise<Webhook> {
  const item = await getItem(id);
  if (!item || item.team_id !== teamId) throw notFound('Webhook');
  return toWebhook(item);
}

export function listTeamWebhooks(teamId: string, options: { limit: number; cursor?: string }): Promise<Page<Webhook>> {
  return listOwnerCollection(teamWebhooksPartition(teamId), options, toWebhook);
}

/** Every webhook of the team (at most MAX_WEBHOOKS_PER_TEAM, so one or two index pages): the fan-out's read. */
export async function allTeamWebhooks(teamId: string): Promise<Webhook[]> {
  const webhooks: Webhook[] = [];
  let cursor: string | undefined;
  do {
    const page = await listTeamWebhooks(teamId, { limit: 100, cursor });
    webhooks.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return webhooks;
}

/** The webhook with its current signing secrets, or undefined when it no longer exists. */
export async function findDeliverableWebhook(id: string): Promise<DeliverableWebhook | undefined> {
  const item = await getItem(id);
  if (!item) return undefined;
  const secrets = [await unseal('webhook secrets', item.secret, id)];
  if (item.previous_secret && (item.previous_secret_expires_at ?? 0) > Date.now()) secrets.push(await unseal('webhook secrets', item.previous_secret, id));
  return { ...toWebhook(item), team_id: item.team_id, signing_secrets: secrets };
}

export async function updateWebhook(teamId: string, id: string, changes: UpdateWebhookBody, expectedVersion?: number): Promise<Webhook> {
  const health =
    changes.enabled === true ? { disabled_reason: null, failing_since: null } : changes.enabled === false ? { disabled_reason: 'manual' } : {};
  const result = await versionedUpdate({
    key: webhookKey(id),
    changes: { ...changes, ...health, updated_at: nowIso() },
    condition: { expression: 'team_id = :team', names: {}, values: { ':team': teamId } },
    expectedVersion,
  });
  if (result.ok) return toWebhook(result.item);
  if (result.old?.team_id?.S === teamId) throw staleVersion();
  throw notFound('Webhook');
}

/** A new secret; the one it replaces keeps signing (next to it) for SECRET_ROTATION_GRACE_MS. */
export async function rotateWebhookSecret(teamId: string, id: string): Promise<{ webhook: Webhook; secret: string }> {
  const item = await getItem(id);
  if (!item || item.team_id !== teamId) throw notFound('Webhook');
  const secret = newSecret();
  const now = Date.now();
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: webhookKey(id),
        UpdateExpression:
          'SET secret = :new, previous_secret = :old, previous_secret_expires_at = :expires, secret_rotated_at = :now, updated_at = :now ADD #version :one',
        // Rotating from the secret read above only: two rotations racing must not both drop the same old secret.
        ConditionExpression: 'team_id = :team AND secret = :current',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: {
          ':new': await seal('webhook secrets', secret, id),
          ':old': item.secret,
          ':current': item.secret,
          ':expires': now + SECRET_ROTATION_GRACE_MS,
          ':now': nowIso(now),
          ':team': teamId,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { webhook: toWebhook(Attributes!), secret };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new ApiError('conflict', 'The secret was rotated by another request at the same time. Read the webhook and rotate again if you still need to.', {
        retryable: true,
      });
    }
    throw error;
  }
}

export async function deleteWebhook(teamId: string, id: string): Promise<void> {
  try {
    await documentClient.send(
      new DeleteCommand({ TableName: tableName(), Key: webhookKey(id), ConditionExpression: 'team_id = :team', ExpressionAttributeValues: { ':team': teamId } }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw notFound('Webhook');
    throw error;
  }
}

/** Starts the failure clock at the first failure after a success (no write while it is already running). */
export function markWebhookFailing(id: string, since: string): Promise<boolean> {
  return conditionalUpdate({
    TableName: tableName(),
    Key: webhookKey(id),
    UpdateExpression: 'SET failing_since = :since',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(failing_since)',
    ExpressionAttributeValues: { ':since': since },
  });
}

export function markWebhookHealthy(id: string): Promise<boolean> {
  return conditionalUpdate({
    TableName: tableName(),
    Key: webhookKey(id),
    UpdateExpression: 'REMOVE failing_since',
    ConditionExpression: 'attribute_exists(failing_since)',
  });
}

/** True only for the call that disabled it, so `webhook.disabled` is recorded once. */
export function disableWebhook(id: string, reason: 'endpoint_gone' | 'failing'): Promise<boolean> {
  return conditionalUpdate({
    TableName: tableName(),
    Key: webhookKey(id),
    UpdateExpression: 'SET enabled = :false, disabled_reason = :reason, updated_at = :now ADD #version :one',
    ConditionExpression: 'enabled = :true',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':false': false, ':true': true, ':reason': reason, ':now': nowIso(), ':one': 1 },
  });
}
