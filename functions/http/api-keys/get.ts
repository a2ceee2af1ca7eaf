import { httpHandler } from '../../shared/http/handler.js';
import { ApiKeyParams } from '../../schemas/api-keys.js';
import { getTeamApiKey } from '../../repositories/api-keys.js';

export const handler = httpHandler('api-keys.get', { params: ApiKeyParams }, async ({ params, principal }) => {
  const key = await getTeamApiKey(principal.teamId!, params.id);
  return { status: 200, body: key, etag: key.version };
});
