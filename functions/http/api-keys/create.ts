import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { CreateApiKeyBody } from '../../schemas/api-keys.js';
import { createApiKey } from '../../repositories/api-keys.js';
import { mintApiKey } from '../../domain/api-keys.js';

export const handler = idempotentHttpHandler('api-keys.create', { body: CreateApiKeyBody }, async ({ body, principal, setResourceId }) => {
  const { record, token } = await mintApiKey({ team_id: principal.teamId!, kind: 'team', ...body });
  const key = await createApiKey(record);
  setResourceId(key.id);
  return { status: 201, body: { ...key, key: token }, etag: key.version };
});
