import { httpHandler } from '../../shared/http/handler.js';
import { TemplateParams } from '../../schemas/templates.js';
import { UpdateTemplateBody } from '../../schemas/template-bodies.js';
import { updateTemplate } from '../../repositories/templates.js';

export const handler = httpHandler('templates.update', { params: TemplateParams, body: UpdateTemplateBody }, async ({ params, body, principal, ifMatch }) => {
  const template = await updateTemplate(principal.teamId!, params.id, body, ifMatch);
  return { status: 200, body: template, etag: template.version };
});
