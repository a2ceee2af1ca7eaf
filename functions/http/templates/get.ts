import { httpHandler } from '../../shared/http/handler.js';
import { GetTemplateQuery, TemplateParams } from '../../schemas/templates.js';
import { getTemplate } from '../../repositories/templates.js';

export const handler = httpHandler('templates.get', { params: TemplateParams, query: GetTemplateQuery }, async ({ params, query, principal }) => {
  const template = await getTemplate(principal.teamId!, params.id, query.version);
  // The ETag is what If-Match compares with the latest version; an earlier version carries none.
  return { status: 200, body: template, etag: query.version === undefined ? template.version : undefined };
});
