import { httpHandler } from '../../shared/http/handler.js';
import { BucketParams } from '../../schemas/storage.js';
import { getBucket } from '../../repositories/storage.js';
import { publicBucket } from '../../domain/storage.js';

export const handler = httpHandler('buckets.get', { params: BucketParams }, async ({ params, principal }) => {
  const bucket = publicBucket(await getBucket(principal.teamId!, params.slug));
  return { status: 200, body: bucket, etag: bucket.version };
});
