import { httpHandler } from '../../shared/http/handler.js';
import { ObjectParams, type ObjectDeleted } from '../../schemas/storage.js';
import { deleteObject } from '../../domain/storage.js';

export const handler = httpHandler('bucket-objects.delete', { params: ObjectParams }, async ({ params, principal }) => {
  await deleteObject(principal.teamId!, params.slug, params.key);
  return { status: 200, body: { key: params.key, deleted: true } satisfies ObjectDeleted };
});
