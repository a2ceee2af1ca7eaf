/**
 * Media storage: a team's logical buckets are prefixes of one S3 bucket per deployment,
 * `media/<team>/<slug>/<key>`. Uploads go straight to S3 with presigned PUTs that sign the exact size and
 * content type (S3 refuses any other body), or through the API for small files. Usage is counted from S3's
 * own event notifications (workers/storage-events.ts), so presigned uploads count as well. Public buckets'
 * objects carry a `mailroom-visibility=public` tag: the CDN's access to the bucket is limited to those.
 */
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, GetObjectCommand, NotFound, NoSuchKey } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3 } from '../shared/clients.js';
import { sendToQueue } from '../shared/queue/producer.js';
import { config } from '../shared/config.js';
import { ApiError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Bucket, CreateBucketBody, CreateUploadBody, ObjectDetails, ObjectPage, PresignedUpload, PutObjectBody, PutObjectResult, UpdateBucketBody } from '../schemas/storage.js';
import { MAX_DIRECT_UPLOAD_BYTES, MEDIA_KEY_PREFIX, PUBLIC_TAG } from '../schemas/storage.js';
import { getTeam } from '../repositories/teams.js';
import { createBucket, findBucket, getBucket, updateBucket, getStorageUsage, markBucketDeleting, removeBucket, type StoredBucket } from '../repositories/storage.js';


export const bucketPrefix = (teamId: string, slug: string) => `${MEDIA_KEY_PREFIX}${teamId}/${slug}/`;
export const physicalKey = (teamId: string, slug: string, key: string) => `${bucketPrefix(teamId, slug)}${key}`;

/** `media/<team>/<slug>/<key>` back into its parts; undefined for anything else in the bucket. */
export function parsePhysicalKey(physical: string): { teamId: string; slug: string; key: string } | undefined {
  if (!physical.startsWith(MEDIA_KEY_PREFIX)) return undefined;
  const match = /^([^/]+)\/([^/]+)\/(.+)$/.exec(physical.slice(MEDIA_KEY_PREFIX.length));
  return match ? { teamId: match[1]!, slug: match[2]!, key: match[3]! } : undefined;
}

const encodeKeyPath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

export function publicBucket(bucket: StoredBucket): Bucket {
  const { team_id: teamId, status: _status, ...rest } = bucket;
  return { ...rest, public_url: bucket.visibility === 'public' ? `${config.mediaPublicUrl}/${encodeKeyPath(bucketPrefix(teamId, bucket.slug).slice(0, -1))}` : null };
}

export async function openBucket(teamId: string, body: CreateBucketBody): Promise<Bucket> {
  return publicBucket(await createBucket(teamId, newId('bucket'), body));
}

export type SweepJob =
  | { team_id: string; slug: string; action: 'empty' }
  | { team_id: string; slug: string; action: 'retag'; visibility: 'public' | 'private'; cursor?: string };

export function queueSweep(job: SweepJob, delaySeconds = 0): Promise<void> {
  return sendToQueue('storage-sweep', [job], { delaySeconds });
}

async function hasObjects(teamId: string, slug: string): Promise<boolean> {
  const { KeyCount = 0 } = await s3.send(new ListObjectsV2Command({ Bucket: config.mediaBucket, Prefix: bucketPrefix(teamId, slug), MaxKeys: 1 }));
  return KeyCount > 0;
}

/**
 * Updates the bucket. A visibility change applies to new objects at once and to existing ones as the
 * background re-tagging reaches them; it is queued whenever visibility is given, even unchanged, so repeating
 * the PATCH recovers from a sweep that was never queued.
 */
export async function changeBucket(teamId: string, slug: string, changes: UpdateBucketBody, expectedVersion?: number): Promise<Bucket> {
  const updated = await updateBucket(teamId, slug, changes, expectedVersion);
  if (changes.visibility) await queueSweep({ team_id: teamId, slug, action: 'retag', visibility: updated.visibility });
  return publicBucket(updated);
}

/** An empty bucket goes at once; a non-empty one needs `force`, and is then emptied in the background. */
export async function deleteBucket(teamId: string, slug: string, force: boolean): Promise<void> {
  const bucket = await findBucket(teamId, slug, { includeDeleting: force });
  if (!bucket) throw notFound('Bucket');
  if (bucket.status === 'deleting') {
    // A forced delete repeated: queue the emptying again, in case the first one never reached the queue.
    await queueSweep({ team_id: teamId, slug, action: 'empty' });
    return;
  }
  if (!(await hasObjects(teamId, slug))) {
    await removeBucket(teamId, slug);
    return;
  }
  if (!force) {
    throw new ApiError('conflict', `Bucket "${slug}" is not empty. Delete its objects first, or pass ?force=true to delete it with everything in it.`, {
      param: 'force',
    });
  }
  await markBucketDeleting(teamId, slug);
  await queueSweep({ team_id: teamId, slug, action: 'empty' });
}

/** Refuses a write that would take the team over its quota (counted from stored objects, presigned ones included). */
export async function storageQuota(teamId: string): Promise<number> {
  return (await getTeam(teamId)).storage_quota_bytes ?? config.storageQuotaBytes;
}

async function checkQuota(teamId: string, adding: number): Promise<void> {
  const [quota, { used_bytes }] = await Promise.all([storageQuota(teamId), getStorageUsage(teamId)]);
  if (quota === 0) return;
  if (used_bytes + adding > quota) {
    throw new ApiError('storage_quota_exceeded', `This upload (${adding} bytes) would take the team over its storage quota: ${used_bytes} of ${quota} bytes used.`, {
      details: { used_bytes, quota_bytes: quota },
    });
  }
}

/** A presigned PUT for exactly `size` bytes of `content_type`: S3 refuses a body of any other size or type. */
export async function presignUpload(teamId: string, slug: string, body: CreateUploadBody): Promise<PresignedUpload> {
  await getBucket(teamId, slug);
  await checkQuota(teamId, body.size);
  // X-Amz-Date has whole seconds: sign at a whole second so expires_at is exactly when the URL stops working.
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const url = await getSignedUrl(
    s3,
    new PutObjectCommand({ Bucket: config.mediaBucket, Key: physicalKey(teamId, slug, body.key), ContentType: body.content_type, ContentLength: body.size }),
    { expiresIn: body.expires_in, signingDate: signedAt, signableHeaders: new Set(['content-type', 'content-length']) },
  );
  return {
    key: body.key,
    method: 'PUT',
    url,
    headers: { 'content-type': body.content_type, 'content-length': String(body.size) },
    expires_at: new Date(signedAt.getTime() + body.expires_in * 1000).toISOString(),
  };
}

export async function putObjectDirect(teamId: string, slug: string, body: PutObjectBody): Promise<PutObjectResult> {
  const bucket = await getBucket(teamId, slug);
  const content = Buffer.from(body.content, 'base64');
  if (content.length > MAX_DIRECT_UPLOAD_BYTES) {
    throw new ApiError('payload_too_large', `Uploads through the API are at most ${MAX_DIRECT_UPLOAD_BYTES} bytes; use POST /v1/buckets/${slug}/uploads for larger files.`, {
      param: 'content',
    });
  }
  await checkQuota(teamId, content.length);
  const result = await s3.send(
    new PutObjectCommand({
      Bucket: config.mediaBucket,
      Key: physicalKey(teamId, slug, body.key),
      Body: content,
      ContentType: body.content_type,
      ...(bucket.visibility === 'public' && { Tagging: `${PUBLIC_TAG.key}=${PUBLIC_TAG.value}` }),
    }),
  );
  return { key: body.key, size: content.length, etag: result.ETag ?? '', content_type: body.content_type };
}

export async function listObjects(teamId: string, slug: string, query: { prefix?: string; limit: number; cursor?: string }): Promise<ObjectPage> {
  await getBucket(teamId, slug);
  const base = bucketPrefix(teamId, slug);
  const page = await s3
    .send(new ListObjectsV2Command({ Bucket: config.mediaBucket, Prefix: `${base}${query.prefix ?? ''}`, MaxKeys: query.limit, ContinuationToken: query.cursor }))
    .catch((error) => {
      if ((error as Error).name === 'InvalidArgument') throw new ApiError('invalid_parameter', 'The cursor is not valid for this listing.', { param: 'cursor' });
      throw error;
    });
  return {
    data: (page.Contents ?? []).map((o) => ({ key: o.Key!.slice(base.length), size: o.Size ?? 0, etag: o.ETag ?? '', last_modified: (o.LastModified ?? new Date(0)).toISOString() })),
    next_cursor: page.IsTruncated ? (page.NextContinuationToken ?? null) : null,
  };
}

async function headObject(teamId: string, slug: string, key: string) {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: config.mediaBucket, Key: physicalKey(teamId, slug, key) }));
  } catch (error) {
    if (error instanceof NotFound || error instanceof NoSuchKey || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) throw notFound('Object');
    throw error;
  }
}

export async function objectDetails(teamId: string, slug: string, key: string, expiresIn: number): Promise<ObjectDetails> {
  const bucket = await getBucket(teamId, slug);
  const head = await headObject(teamId, slug, key);
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const download = await getSignedUrl(s3, new GetObjectCommand({ Bucket: config.mediaBucket, Key: physicalKey(teamId, slug, key) }), {
    expiresIn,
    signingDate: signedAt,
  });
  const base = publicBucket(bucket).public_url;
  return {
    key,
    size: head.ContentLength ?? 0,
    etag: head.ETag ?? '',
    last_modified: (head.LastModified ?? new Date(0)).toISOString(),
    content_type: head.ContentType ?? 'application/octet-stream',
    public_url: base ? `${base}/${encodeKeyPath(key)}` : null,
    download_url: download,
    download_expires_at: new Date(signedAt.getTime() + expiresIn * 1000).toISOString(),
  };
}

export async function deleteObject(teamId: string, slug: string, key: string): Promise<void> {
  await getBucket(teamId, slug);
  await headObject(teamId, slug, key);
  await s3.send(new DeleteObjectCommand({ Bucket: config.mediaBucket, Key: physicalKey(teamId, slug, key) }));
}

/** For email attachments by reference: the object's physical key, size and type, or a 422 naming the attachment. */
export async function attachableObject(teamId: string, ref: { bucket: string; key: string }, param: string) {
  try {
    await getBucket(teamId, ref.bucket);
    const head = await headObject(teamId, ref.bucket, ref.key);
    return { physicalKey: physicalKey(teamId, ref.bucket, ref.key), size: head.ContentLength ?? 0, contentType: head.ContentType };
  } catch (error) {
    if (error instanceof ApiError && error.code === 'not_found') {
      throw new ApiError('validation_error', `Attachment ${ref.bucket}/${ref.key}: ${error.message}`, { param });
    }
    throw error;
  }
}
