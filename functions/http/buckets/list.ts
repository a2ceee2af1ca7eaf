import { httpHandler } from '../../shared/http/handler.js';
import { ListBucketsQuery } from '../../schemas/storage.js';
import { listBuckets } from '../../repositories/storage.js';
import { publicBucket } from '../../domain/storage.js';

export const handler = httpHandler('buckets.list', { query: ListBucketsQuery }, async ({ query, principal }) => {
  const page = await listBuckets(principal.teamId!, query);
  return { status: 200, body: { data: page.data.map(publicBucket), next_cursor: page.next_cursor } };
});
