import { httpHandler } from '../../shared/http/handler.js';
import { ListTemplatesQuery } from '../../schemas/templates.js';
import { listTemplates } from '../../repositories/templates.js';

export const handler = httpHandler('templates.list', { query: ListTemplatesQuery }, async ({ query, principal }) => ({
  status: 200,
  body: await listTemplates(principal.teamId!, query),
}));
