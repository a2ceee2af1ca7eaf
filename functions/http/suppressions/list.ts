import { httpHandler } from '../../shared/http/handler.js';
import { ListSuppressionsQuery } from '../../schemas/suppressions.js';
import { listSuppressions } from '../../repositories/suppressions.js';

export const handler = httpHandler('suppressions.list', { query: ListSuppressionsQuery }, async ({ query, principal }) => ({
  status: 200,
  body: await listSuppressions(principal.teamId!, query),
}));
