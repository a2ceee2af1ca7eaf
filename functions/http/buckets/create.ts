import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { CreateBucketBody } from '../../schemas/storage.js';
import { openBucket } from '../../domain/storage.js';

export const handler = idempotentHttpHandler('buckets.create', { body: CreateBucketBody }, async ({ body, principal, setResourceId }) => {
  const bucket = await openBucket(principal.teamId!, body);
  setResourceId(bucket.id);
  return { status: 201, body: bucket, etag: bucket.version };
});
