import { httpHandler } from '../../shared/http/handler.js';
import { notFound } from '../../shared/errors.js';
import { ApiKeyParams } from '../../schemas/api-keys.js';
import { revokeApiKey } from '../../repositories/api-keys.js';

export const handler = httpHandler('api-keys.delete', { params: ApiKeyParams }, async ({ params, principal }) => {
  if (!(await revokeApiKey(params.id, principal.teamId!))) throw notFound('API key');
  return { status: 200, body: { id: params.id, deleted: true } };
});
