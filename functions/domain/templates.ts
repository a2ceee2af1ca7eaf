/** Rendering stored templates: the preview route and sends both come through here. */
import { ApiError } from '../shared/errors.js';
import { findTemplate } from '../repositories/templates.js';
import { TEMPLATE_VERSIONS_KEPT, type RenderedTemplate, type Template } from '../schemas/templates.js';
import { renderContent } from './template-engine.js';

export async function renderVersion(template: Template, variables: Record<string, unknown>): Promise<RenderedTemplate> {
  return { ...(await renderContent(template, variables)), template_version: template.version };
}

/** Per request: the templates already looked up, so a batch that sends one template reads it once. */
export type TemplateLookups = Map<string, ReturnType<typeof findTemplate>>;

function lookUp(teamId: string, templateId: string, version: number | undefined, lookups: TemplateLookups | undefined) {
  if (!lookups) return findTemplate(teamId, templateId, version);
  const key = `${templateId}@${version ?? 'latest'}`;
  if (!lookups.has(key)) lookups.set(key, findTemplate(teamId, templateId, version));
  return lookups.get(key)!;
}

/**
 * Renders the team's template for a send. A template (or pinned version) that does not exist is a problem
 * with the send's fields, so it is a 422 naming them, not a 404 for the send route itself.
 */
export async function renderTemplate(
  teamId: string,
  templateId: string,
  variables: Record<string, unknown>,
  version?: number,
  lookups?: TemplateLookups,
): Promise<RenderedTemplate> {
  const found = await lookUp(teamId, templateId, version, lookups);
  if ('template' in found) return renderVersion(found.template, variables);
  const [param, message] =
    found.missing === 'template'
      ? ['template_id', `Template ${templateId} does not exist.`]
      : ['template_version', `Version ${version} of template ${templateId} does not exist (the latest ${TEMPLATE_VERSIONS_KEPT} versions are kept).`];
  throw new ApiError('validation_error', message, { param, errors: [{ field: param, code: 'not_found', message }] });
}
