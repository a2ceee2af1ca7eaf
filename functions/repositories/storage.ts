/**
 * Media storage bookkeeping (the objects themselves live in S3). Access patterns: get a team's bucket by
 * slug, list a team's buckets newest first, create (slug unique per team), update with optimistic
 * concurrency, mark deleting / remove; per-object size records and the usage counters they feed, applied
 * from S3 event notifications in the order of S3's per-key sequencer; read a team's usage.
 *   bucket: pk MEDIABUCKET#<team>#<slug> sk BUCKET   gsi1pk TEAM#<team>#BUCKETS gsi1sk <bucket id>
 *   object: pk MEDIAOBJ#<team>#<slug>#<key> sk OBJECT   size, sequencer
 *   usage:  pk STORAGEUSAGE#<team> sk USAGE   used_bytes, object_count
 * A bucket being emptied (force delete) keeps its item with status `deleting`: the API no longer sees it,
 * and its slug stays taken until its objects are gone.
 */
import { DeleteCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { ApiError, notFound } from '../shared/errors.js';
import type { Bucket, CreateBucketBody, StorageUsage, UpdateBucketBody } from '../schemas/storage.js';
import { TABLE_SCHEMA, conditionalUpdate, listOwnerCollection, newOwnedItemPut, nowIso, tableName, versionedUpdate, type Page } from './table.js';
import { staleVersion, teamIsActiveCondition } from './teams.js';

const bucketKey = (teamId: string, slug: string) => ({ pk: `MEDIABUCKET#${teamId}#${slug}`, sk: 'BUCKET' });
const objectKey = (teamId: string, slug: string, key: string) => ({ pk: `MEDIAOBJ#${teamId}#${slug}#${key}`, sk: 'OBJECT' });
const usageKey = (teamId: string) => ({ pk: `STORAGEUSAGE#${teamId}`, sk: 'USAGE' });
const teamBucketsPartition = (teamId: string) => `TEAM#${teamId}#BUCKETS`;

/** A bucket as stored: the API view without the public URL (which depends on the deployment). */
export type StoredBucket = Omit<Bucket, 'public_url'> & { team_id: string; status: 'active' | 'deleting'; deleting_since?: string };

function toBucket(raw: object): StoredBucket {
  const i = raw as StoredBucket;
  return {
    id: i.id,
    team_id: i.team_id,
    slug: i.slug,
    visibility: i.visibility,
    description: i.description ?? null,
    object_count: i.object_count ?? 0,
    size_bytes: i.size_bytes ?? 0,
    status: i.status,
    ...(i.deleting_since && { deleting_since: i.deleting_since }),
    created_at: i.created_at,
    updated_at: i.updated_at,
    version: i.version,
  };
}

export async function createBucket(teamId: string, id: string, body: CreateBucketBody): Promise<StoredBucket> {
  const now = nowIso();
  const bucket: StoredBucket = { id, team_id: teamId, ...body, object_count: 0, size_bytes: 0, status: 'active', created_at: now, updated_at: now, version: 1 };
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          teamIsActiveCondition(teamId),
          { Put: { ...newOwnedItemPut(bucketKey(teamId, body.slug), { partition: teamBucketsPartition(teamId), sortKey: id }, bucket), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    if (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') throw notFound('Team');
    const deleting = error.CancellationReasons?.[1]?.Item?.status?.S === 'deleting';
    throw new ApiError(
      'conflict',
      deleting ? `Bucket "${body.slug}" is still being emptied after a forced delete; try again shortly.` : `This team already has a bucket "${body.slug}".`,
      { param: 'slug', retryable: deleting },
    );
  }
  return bucket;
}

/** The team's active bucket with that slug (with `includeDeleting`, also one being emptied), or undefined. */
export async function findBucket(teamId: string, slug: string, options: { includeDeleting?: boolean } = {}): Promise<StoredBucket | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: bucketKey(teamId, slug), ConsistentRead: true }));
  return Item && (Item.status === 'active' || options.includeDeleting) ? toBucket(Item) : undefined;
}

export async function getBucket(teamId: string, slug: string): Promise<StoredBucket> {
  const bucket = await findBucket(teamId, slug);
  if (!bucket) throw notFound('Bucket');
  return bucket;
}

export async function listBuckets(teamId: string, options: { limit: number; cursor?: string }): Promise<Page<StoredBucket>> {
  return listOwnerCollection(teamBucketsPartition(teamId), options, toBucket);
}

export async function updateBucket(teamId: string, slug: string, changes: UpdateBucketBody, expectedVersion?: number): Promise<StoredBucket> {
  const result = await versionedUpdate({
    key: bucketKey(teamId, slug),
    changes: { ...changes, updated_at: nowIso() },
    condition: { expression: '#status = :active', names: { '#status': 'status' }, values: { ':active': 'active' } },
    expectedVersion,
  });
  if (result.ok) return toBucket(result.item);
  if (result.old?.status?.S === 'active') throw staleVersion();
  throw notFound('Bucket');
}

/** Hides the bucket from the API and keeps its slug taken until removeBucket(); false if it was not active. */
export function markBucketDeleting(teamId: string, slug: string): Promise<boolean> {
  const { byOwner } = TABLE_SCHEMA.indexes;
  return conditionalUpdate({
    TableName: tableName(),
    Key: bucketKey(teamId, slug),
    UpdateExpression: 'SET #status = :deleting, deleting_since = :now, updated_at = :now REMOVE #gpk, #gsk',
    ConditionExpression: '#status = :active',
    ExpressionAttributeNames: { '#status': 'status', '#gpk': byOwner.partitionKey, '#gsk': byOwner.sortKey },
    ExpressionAttributeValues: { ':deleting': 'deleting', ':active': 'active', ':now': nowIso() },
  });
}

export async function removeBucket(teamId: string, slug: string): Promise<void> {
  await documentClient.send(new DeleteCommand({ TableName: tableName(), Key: bucketKey(teamId, slug) }));
}

/** The team's counters; the quota is the team's setting, not counted here. */
export async function getStorageUsage(teamId: string): Promise<Omit<StorageUsage, 'quota_bytes'>> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: usageKey(teamId) }));
  return { used_bytes: Number(Item?.used_bytes ?? 0), object_count: Number(Item?.object_count ?? 0) };
}

/** S3's sequencer orders events of one key: compare as hex numbers of equal length. */
export function sequencerAfter(a: string, b: string): boolean {
  const width = Math.max(a.length, b.length);
  return a.padStart(width, '0').toUpperCase() > b.padStart(width, '0').toUpperCase();
}

export interface ObjectChange {
  teamId: string;
  slug: string;
  key: string;
  sequencer: string;
  /** The new size; undefined for a removal. */
  size?: number;
}

/**
 * Applies one S3 notification to the object record and the usage counters, once and in order: a duplicate
 * or an event older than the last applied one for that key changes nothing. Returns whether it applied.
 */
export async function applyObjectChange(change: ObjectChange): Promise<boolean> {
  const key = objectKey(change.teamId, change.slug, change.key);
  const { Item: old } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }));
  if (old && !sequencerAfter(change.sequencer, String(old.sequencer))) return false;
  const removed = change.size === undefined;
  if (removed && old?.deleted) return false;
  const existed = Boolean(old && !old.deleted);
  const sizeDelta = (change.size ?? 0) - (existed ? Number(old!.size) : 0);
  // A removal of an object never counted (its create is still on the way) only leaves the marker.
  const countDelta = removed ? (existed ? -1 : 0) : existed ? 0 : 1;
  const unchanged = old ? { expression: 'sequencer = :seen', values: { ':seen': old.sequencer } } : { expression: 'attribute_not_exists(pk)', values: {} };
  // A removal keeps a marker with its sequencer (expiring), so a late, older create cannot bring the object back.
  const record = removed
    ? { ...key, sequencer: change.sequencer, deleted: true, expires_at: Math.floor(Date.now() / 1000) + 7 * 24 * 3600 }
    : { ...key, sequencer: change.sequencer, size: change.size };
  const counters = (target: Record<string, string>, names: [string, string], condition?: string) => ({
    Update: {
      TableName: tableName(),
      Key: target,
      UpdateExpression: 'ADD #bytes :bytes, #count :count',
      ...(condition && { ConditionExpression: condition }),
      ExpressionAttributeNames: { '#bytes': names[0], '#count': names[1] },
      ExpressionAttributeValues: { ':bytes': sizeDelta, ':count': countDelta },
    },
  });
  const writes = [
    { Put: { TableName: tableName(), Item: record, ConditionExpression: unchanged.expression, ...(old && { ExpressionAttributeValues: unchanged.values }) } },
    counters(usageKey(change.teamId), ['used_bytes', 'object_count']),
  ];
  try {
    await documentClient.send(
      new TransactWriteCommand({ TransactItems: [...writes, counters(bucketKey(change.teamId, change.slug), ['size_bytes', 'object_count'], 'attribute_exists(pk)')] }),
    );
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const [recordReason, , bucketReason] = error.CancellationReasons ?? [];
    // Another event for this key got there first: it is redelivered and decided again on fresh data.
    if (recordReason?.Code === 'ConditionalCheckFailed') throw new Error(`object ${change.key} changed concurrently`);
    if (bucketReason?.Code !== 'ConditionalCheckFailed') throw error;
    // The bucket item is gone (deleted after being emptied): the team's usage still counts.
    await documentClient.send(new TransactWriteCommand({ TransactItems: writes }));
  }
  return true;
}
