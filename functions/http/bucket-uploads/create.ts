import { httpHandler } from '../../shared/http/handler.js';
import { BucketParams, CreateUploadBody } from '../../schemas/storage.js';
import { presignUpload } from '../../domain/storage.js';

/** A presigned PUT: send exactly `size` bytes with the returned headers to `url` before `expires_at`. */
export const handler = httpHandler('bucket-uploads.create', { params: BucketParams, body: CreateUploadBody }, async ({ params, body, principal }) => ({
  status: 201,
  body: await presignUpload(principal.teamId!, params.slug, body),
}));
