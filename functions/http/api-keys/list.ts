import { httpHandler } from '../../shared/http/handler.js';
import { ListApiKeysQuery } from '../../schemas/api-keys.js';
import { listTeamApiKeys } from '../../repositories/api-keys.js';

export const handler = httpHandler('api-keys.list', { query: ListApiKeysQuery }, async ({ query, principal }) => ({
  status: 200,
  body: await listTeamApiKeys(principal.teamId!, query),
}));
