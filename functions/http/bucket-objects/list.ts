import { httpHandler } from '../../shared/http/handler.js';
import { BucketParams, ListObjectsQuery } from '../../schemas/storage.js';
import { listObjects } from '../../domain/storage.js';

export const handler = httpHandler('bucket-objects.list', { params: BucketParams, query: ListObjectsQuery }, async ({ params, query, principal }) => ({
  status: 200,
  body: await listObjects(principal.teamId!, params.slug, query),
}));
