import { httpHandler } from '../../shared/http/handler.js';
import { RenderTemplateBody, TemplateParams } from '../../schemas/templates.js';
import { getTemplate } from '../../repositories/templates.js';
import { renderVersion } from '../../domain/templates.js';

/** A preview: renders exactly as a send would, but a missing template is this route's own 404. */
export const handler = httpHandler('templates.render', { params: TemplateParams, body: RenderTemplateBody }, async ({ params, body, principal }) => {
  const template = await getTemplate(principal.teamId!, params.id, body.version);
  return { status: 200, body: await renderVersion(template, body.variables) };
});
