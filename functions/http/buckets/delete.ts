import { httpHandler } from '../../shared/http/handler.js';
import { BucketParams, DeleteBucketQuery, type BucketDeleted } from '../../schemas/storage.js';
import { deleteBucket } from '../../domain/storage.js';

export const handler = httpHandler('buckets.delete', { params: BucketParams, query: DeleteBucketQuery }, async ({ params, query, principal }) => {
  await deleteBucket(principal.teamId!, params.slug, query.force);
  return { status: 200, body: { slug: params.slug, deleted: true } satisfies BucketDeleted };
});
