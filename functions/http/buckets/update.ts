import { httpHandler } from '../../shared/http/handler.js';
import { BucketParams, UpdateBucketBody } from '../../schemas/storage.js';
import { updateBucket } from '../../repositories/storage.js';
import { publicBucket, queueSweep } from '../../domain/storage.js';

/** A visibility change applies to new objects at once and to existing ones as the background re-tagging reaches them. */
export const handler = httpHandler('buckets.update', { params: BucketParams, body: UpdateBucketBody }, async ({ params, body, principal, ifMatch }) => {
  const updated = await updateBucket(principal.teamId!, params.slug, body, ifMatch);
  // Whenever visibility is given, even unchanged: repeating the PATCH recovers from a sweep that was never queued.
  if (body.visibility) await queueSweep({ team_id: principal.teamId!, slug: params.slug, action: 'retag', visibility: updated.visibility });
  const bucket = publicBucket(updated);
  return { status: 200, body: bucket, etag: bucket.version };
});
