import { httpHandler } from '../../shared/http/handler.js';
import { ApiKeyParams, UpdateApiKeyBody } from '../../schemas/api-keys.js';
import { updateTeamApiKey } from '../../repositories/api-keys.js';

export const handler = httpHandler('api-keys.update', { params: ApiKeyParams, body: UpdateApiKeyBody }, async ({ params, body, principal, ifMatch }) => {
  const key = await updateTeamApiKey(principal.teamId!, params.id, body, ifMatch);
  return { status: 200, body: key, etag: key.version };
});
