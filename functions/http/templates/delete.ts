import { httpHandler } from '../../shared/http/handler.js';
import { notFound } from '../../shared/errors.js';
import { TemplateParams } from '../../schemas/templates.js';
import { deleteTemplate } from '../../repositories/templates.js';

export const handler = httpHandler('templates.delete', { params: TemplateParams }, async ({ params, principal }) => {
  if (!(await deleteTemplate(principal.teamId!, params.id))) throw notFound('Template');
  return { status: 200, body: { id: params.id, deleted: true } };
});
