import { httpHandler } from '../../shared/http/handler.js';
import { BucketParams, UpdateBucketBody } from '../../schemas/storage.js';
import { changeBucket } from '../../domain/storage.js';

export const handler = httpHandler('buckets.update', { params: BucketParams, body: UpdateBucketBody }, async ({ params, body, principal, ifMatch }) => {
  const bucket = await changeBucket(principal.teamId!, params.slug, body, ifMatch);
  return { status: 200, body: bucket, etag: bucket.version };
});
