import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { newId } from '../../shared/ids.js';
import { CreateTemplateBody } from '../../schemas/template-bodies.js';
import { createTemplate } from '../../repositories/templates.js';

export const handler = idempotentHttpHandler('templates.create', { body: CreateTemplateBody }, async ({ body, principal, setResourceId }) => {
  const template = await createTemplate(principal.teamId!, newId('template'), body);
  setResourceId(template.id);
  return { status: 201, body: template, etag: template.version };
});
