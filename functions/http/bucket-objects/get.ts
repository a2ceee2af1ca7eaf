import { httpHandler } from '../../shared/http/handler.js';
import { GetObjectQuery, ObjectParams } from '../../schemas/storage.js';
import { objectDetails } from '../../domain/storage.js';

export const handler = httpHandler('bucket-objects.get', { params: ObjectParams, query: GetObjectQuery }, async ({ params, query, principal }) => ({
  status: 200,
  body: await objectDetails(principal.teamId!, params.slug, params.key, query.expires_in),
}));
