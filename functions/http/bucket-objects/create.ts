import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { BucketParams, PutObjectBody } from '../../schemas/storage.js';
import { putObjectDirect } from '../../domain/storage.js';

/** Small files in one request (base64 `content`); larger ones go through POST …/uploads. Replaces an object with the same key. */
export const handler = idempotentHttpHandler('bucket-objects.create', { params: BucketParams, body: PutObjectBody }, async ({ params, body, principal }) => ({
  status: 201,
  body: await putObjectDirect(principal.teamId!, params.slug, body),
}));
