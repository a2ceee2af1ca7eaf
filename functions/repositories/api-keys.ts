/**
 * API keys. Access patterns: get by id for authentication (O(1), strongly consistent so revocation is
 * immediate), list a team's keys newest first, revoke one, revoke all of a team's.
 *   key: pk APIKEY#<id> sk APIKEY   gsi1pk TEAM#<team>#APIKEYS gsi1sk <id>   (gsi1 keys removed on revoke)
 * The token itself is never stored: only its HMAC (`secret_hash`).
 */
import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { notFound } from '../shared/errors.js';
import type { Scope } from '../shared/auth/scopes.js';
import type { ApiKey } from '../schemas/api-keys.js';
import { TABLE_SCHEMA, epochSeconds, getItem, nowIso, listOwnerCollection, tableName, versionedUpdate, type Page, newOwnedItemPut } from './table.js';
import { staleVersion, teamIsActiveCondition } from './teams.js';

const { byOwner } = TABLE_SCHEMA.indexes;
const keyKey = (id: string) => ({ pk: `APIKEY#${id}`, sk: 'APIKEY' });
const teamKeysPartition = (teamId: string) => `TEAM#${teamId}#APIKEYS`;
/** Revoked keys stay readable for authentication errors and audits for a while, then expire. */
const REVOKED_RETENTION_SECONDS = 30 * 24 * 3600;

export type { ApiKey };
export type ApiKeyKind = ApiKey['kind'];

/** What authentication needs: the metadata plus the stored hash and revocation state. */
export interface StoredApiKey extends ApiKey {
  secret_hash: string;
  revoked_at: string | null;
}

function toStored(item: Record<string, unknown>): StoredApiKey {
  const i = item as unknown as StoredApiKey;
  return {
    id: i.id,
    team_id: i.team_id,
    kind: i.kind,
    inbox_id: i.inbox_id ?? null,
    name: i.name,
    scopes: i.scopes,
    rate_limit: i.rate_limit ?? null,
    token_hint: i.token_hint,
    created_at: i.created_at,
    last_used_at: i.last_used_at ?? null,
    version: i.version,
    secret_hash: i.secret_hash,
    revoked_at: i.revoked_at ?? null,
  };
}

export function publicApiKey(key: StoredApiKey | ApiKey): ApiKey {
  const { id, team_id, kind, inbox_id, name, scopes, rate_limit, token_hint, created_at, last_used_at, version } = key;
  return { id, team_id, kind, inbox_id, name, scopes, rate_limit, token_hint, created_at, last_used_at, version };
}

export interface NewApiKey {
  id: string;
  team_id: string;
  kind: ApiKeyKind;
  inbox_id?: string | null;
  name: string;
  scopes: Scope[];
  rate_limit?: number | null;
  token_hint: string;
  secret_hash: string;
}

function storedKey(input: NewApiKey): StoredApiKey {
  return {
    ...input,
    inbox_id: input.inbox_id ?? null,
    rate_limit: input.rate_limit ?? null,
    created_at: nowIso(),
    last_used_at: null,
    revoked_at: null,
    version: 1,
  };
}

/** The Put of a new key, for transactions that create a key together with its owner (a new team). */
export function apiKeyPut(input: NewApiKey) {
  const item = storedKey(input);
  return {
    key: publicApiKey(item),
    put: {
      Put: newOwnedItemPut(keyKey(input.id), { partition: teamKeysPartition(input.team_id), sortKey: input.id }, item),
    },
  };
}

/** Creates the key only while its team is active, so a key can never outlive a deleted team. */
export async function createApiKey(input: NewApiKey): Promise<ApiKey> {
  const { key, put } = apiKeyPut(input);
  try {
    await documentClient.send(new TransactWriteCommand({ TransactItems: [teamIsActiveCondition(input.team_id), put] }));
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
      throw notFound('Team');
    }
    throw error;
  }
  return key;
}

export async function findApiKeyForAuth(id: string): Promise<StoredApiKey | undefined> {
  const item = await getItem(keyKey(id));
  return item ? toStored(item) : undefined;
}

/** A live key of this team, or 404 (also for other teams' keys: existence is never revealed). */
export async function getTeamApiKey(teamId: string, id: string): Promise<ApiKey> {
  const key = await findApiKeyForAuth(id);
  if (!key || key.team_id !== teamId || key.revoked_at) throw notFound('API key');
  return publicApiKey(key);
}

export function listTeamApiKeys(teamId: string, options: { limit: number; cursor?: string }): Promise<Page<ApiKey>> {
  return listOwnerCollection(teamKeysPartition(teamId), options, (item) => publicApiKey(toStored(item)));
}

export type ApiKeyChanges = Partial<Pick<ApiKey, 'name' | 'scopes' | 'rate_limit'>>;

export async function updateTeamApiKey(teamId: string, id: string, changes: ApiKeyChanges, expectedVersion?: number): Promise<ApiKey> {
  const result = await versionedUpdate({
    key: keyKey(id),
    changes,
    condition: { expression: '#team = :team AND attribute_not_exists(revoked_at)', names: { '#team': 'team_id' }, values: { ':team': teamId } },
    expectedVersion,
  });
  if (result.ok) return publicApiKey(toStored(result.item));
  if (result.old && result.old.team_id?.S === teamId && !result.old.revoked_at) throw staleVersion();
  throw notFound('API key');
}

/** Revokes a key: authentication fails from the next request on, and it leaves the team's list. */
export async function revokeApiKey(id: string, teamId: string): Promise<boolean> {
  const now = Date.now();
  try {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keyKey(id),
        UpdateExpression: 'SET revoked_at = :now, expires_at = :expires ADD #version :one REMOVE #gpk, #gsk',
        ConditionExpression: 'team_id = :team AND attribute_not_exists(revoked_at)',
        ExpressionAttributeNames: { '#version': 'version', '#gpk': byOwner.partitionKey, '#gsk': byOwner.sortKey },
        ExpressionAttributeValues: {
          ':now': nowIso(now),
          ':expires': epochSeconds(now) + REVOKED_RETENTION_SECONDS,
          ':team': teamId,
          ':one': 1,
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Revokes every key still listed for the team; returns how many it revoked. */
export async function revokeAllTeamApiKeys(teamId: string): Promise<number> {
  let revoked = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: byOwner.indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': byOwner.partitionKey },
        ExpressionAttributeValues: { ':pk': teamKeysPartition(teamId) },
        ProjectionExpression: 'id',
        ExclusiveStartKey: startKey,
      }),
    );
    const results = await Promise.all((page.Items ?? []).map((item) => revokeApiKey(String(item.id), teamId)));
    revoked += results.filter(Boolean).length;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return revoked;
}

/** Records use at most once per interval: the condition makes concurrent containers skip the write. */
export async function touchApiKeyLastUsed(id: string, now: number, intervalMs: number): Promise<void> {
  try {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keyKey(id),
        UpdateExpression: 'SET last_used_at = :now',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :threshold)',
        ExpressionAttributeValues: { ':now': nowIso(now), ':threshold': nowIso(now - intervalMs) },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
