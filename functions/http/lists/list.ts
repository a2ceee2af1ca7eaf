import { httpHandler } from '../../shared/http/handler.js';
import { ListQuery } from '../../schemas/common.js';
import { listLists } from '../../repositories/lists.js';

export const handler = httpHandler('lists.list', { query: ListQuery }, async ({ query, principal }) => ({
  status: 200,
  body: await listLists(principal.teamId!, query),
}));
