/**
 * Consumes the media bucket's S3 event notifications: every stored or removed object updates the team's and
 * the bucket's usage once, in S3's order per key (repositories/storage.ts), and a stored object's public tag
 * (what lets the CDN serve it) is set to match its bucket's visibility (presigned uploads cannot be trusted to set it).
 */
import * as z from 'zod';
import { GetObjectTaggingCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { queueConsumer, type BatchScope } from '../shared/queue/consumer.js';
import { s3 } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { applyObjectChange, findBucket } from '../repositories/storage.js';
import { parsePhysicalKey } from '../domain/storage.js';
import { PUBLIC_TAG } from '../schemas/storage.js';

const S3Notification = z.looseObject({
  Records: z
    .array(
      z.looseObject({
        eventName: z.string(),
        s3: z.looseObject({ object: z.looseObject({ key: z.string(), size: z.number().optional(), sequencer: z.string() }) }),
      }),
    )
    .optional(),
});

/** S3 URL-encodes keys in notifications, with "+" for spaces. */
const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

/**
 * Makes the object's public tag match its bucket's visibility now, both ways (a direct upload may carry a tag
 * from before the bucket was made private). Checked again after writing, in case the visibility changed
 * meanwhile and the re-tagging sweep had already passed this key.
 */
async function syncPublicTag(teamId: string, slug: string, physical: string, batch: BatchScope): Promise<void> {
  for (let pass = 0; pass < 2; pass++) {
    // The first look is shared by the batch's records of one bucket; the re-check after a write is fresh.
    const bucket = pass === 0 ? await batch.memo(`bucket:${teamId}/${slug}`, () => findBucket(teamId, slug)) : await findBucket(teamId, slug);
    const isPublic = bucket?.visibility === 'public';
    const { TagSet = [] } = await s3.send(new GetObjectTaggingCommand({ Bucket: config.mediaBucket, Key: physical }));
    const tagged = TagSet.some((t) => t.Key === PUBLIC_TAG.key && t.Value === PUBLIC_TAG.value);
    if (tagged === isPublic) return;
    const others = TagSet.filter((t) => t.Key !== PUBLIC_TAG.key);
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: config.mediaBucket,
        Key: physical,
        Tagging: { TagSet: isPublic ? [...others, { Key: PUBLIC_TAG.key, Value: PUBLIC_TAG.value }] : others },
      }),
    );
  }
}

export const handler = queueConsumer('storage-events', S3Notification, async (notification, _record, batch) => {
  // S3 sends one s3:TestEvent (no Records) when notifications are configured.
  for (const record of notification.Records ?? []) {
    const physical = decodeKey(record.s3.object.key);
    const parts = parsePhysicalKey(physical);
    if (!parts) continue;
    const created = record.eventName.startsWith('ObjectCreated:');
    if (!created && !record.eventName.startsWith('ObjectRemoved:')) continue;
    const applied = await applyObjectChange({ ...parts, sequencer: record.s3.object.sequencer, size: created ? (record.s3.object.size ?? 0) : undefined });
    if (created) {
      // Also when already applied (a redelivery after tagging failed). The object may be gone again: nothing to tag then.
      await syncPublicTag(parts.teamId, parts.slug, physical, batch).catch((error) => {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
      });
    }
    logger.debug('storage event applied', { event: record.eventName, key: physical, applied });
  }
});
