/**
 * Works through every object of one bucket, a page per message (the next page is queued before this one
 * is acknowledged): `empty` deletes them and then the bucket item (a forced delete), `retag` sets or clears
 * the public tag after a visibility change.
 */
import * as z from 'zod';
import { DeleteObjectsCommand, DeleteObjectTaggingCommand, ListObjectsV2Command, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { queueConsumer } from '../shared/queue/consumer.js';
import { s3 } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { findBucket, removeBucket } from '../repositories/storage.js';
import { bucketPrefix, queueSweep } from '../domain/storage.js';
import { PUBLIC_TAG } from '../schemas/storage.js';

const SweepMessage = z.discriminatedUnion('action', [
  z.object({ action: z.literal('empty'), team_id: z.string(), slug: z.string(), cursor: z.string().optional() }),
  z.object({ action: z.literal('retag'), team_id: z.string(), slug: z.string(), visibility: z.enum(['public', 'private']), cursor: z.string().optional() }),
]);

const PAGE = 1000;
const MAX_SQS_DELAY_SECONDS = 900;
/** S3 tags one object per request: this many at a time. */
const TAG_CONCURRENCY = 50;

export const handler = queueConsumer('storage-sweep', SweepMessage, async (job) => {
  const prefix = bucketPrefix(job.team_id, job.slug);
  if (job.action === 'retag') {
    // A later change of visibility queued its own sweep: this one is out of date.
    const bucket = await findBucket(job.team_id, job.slug);
    if (bucket?.visibility !== job.visibility) return;
  }
  const page = await s3.send(new ListObjectsV2Command({ Bucket: config.mediaBucket, Prefix: prefix, MaxKeys: PAGE, ContinuationToken: job.action === 'retag' ? job.cursor : undefined }));
  const keys = (page.Contents ?? []).map((o) => o.Key!);
  if (job.action === 'empty') {
    if (keys.length) await s3.send(new DeleteObjectsCommand({ Bucket: config.mediaBucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
    // Deleted objects leave the listing, so emptying always continues from the start.
    if (page.IsTruncated) return queueSweep({ team_id: job.team_id, slug: job.slug, action: 'empty' });
    // Upload links handed out before the delete still work for a while: keep the slug reserved and sweep
    // again until the last of them has expired, so nothing they store outlives the bucket.
    const bucket = await findBucket(job.team_id, job.slug, { includeDeleting: true });
    const linksValidForMs = bucket?.deleting_since ? Date.parse(bucket.deleting_since) + config.storageUploadUrlSeconds * 1000 - Date.now() : 0;
    if (linksValidForMs > 0) return queueSweep({ team_id: job.team_id, slug: job.slug, action: 'empty' }, Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil(linksValidForMs / 1000)));
    await removeBucket(job.team_id, job.slug);
    logger.info('bucket emptied and deleted', { team_id: job.team_id, slug: job.slug });
    return;
  }
  for (let i = 0; i < keys.length; i += TAG_CONCURRENCY) {
    await Promise.all(
      keys.slice(i, i + TAG_CONCURRENCY).map((Key) =>
        job.visibility === 'public'
          ? s3.send(new PutObjectTaggingCommand({ Bucket: config.mediaBucket, Key, Tagging: { TagSet: [{ Key: PUBLIC_TAG.key, Value: PUBLIC_TAG.value }] } }))
          : s3.send(new DeleteObjectTaggingCommand({ Bucket: config.mediaBucket, Key })),
      ),
    );
  }
  if (page.IsTruncated && page.NextContinuationToken) await queueSweep({ ...job, cursor: page.NextContinuationToken });
});
