import * as z from 'zod';
import { idOf, ListQuery, Timestamp } from './common.js';

/**
 * Versions kept per template: enough to roll back or read what recent sends used, while a template's storage
 * stays bounded (50 × at most ~360 KB). Older versions are deleted as new ones are written.
 */
export const TEMPLATE_VERSIONS_KEPT = 50;

/**
 * Besides the sources (TEMPLATE_SOURCE_MAX_BYTES), these caps keep a whole version under DynamoDB's 400 KB
 * item limit: worst case about 360 KB.
 */
const MAX_VARIABLES = 50;
const VARIABLE_TEXT_MAX_BYTES = 256;
const DESCRIPTION_MAX_BYTES = 1_000;

/** Adds a too_big issue when the string is over `maxBytes` in UTF-8 (the unit of every size cap in the API). */
export function withinBytes(value: string, maxBytes: number, ctx: z.RefinementCtx): boolean {
  const bytes = Buffer.byteLength(value);
  if (bytes <= maxBytes) return true;
  ctx.addIssue({ code: 'too_big', origin: 'string', maximum: maxBytes, inclusive: true, input: value, message: `Must be at most ${maxBytes} bytes in UTF-8 (got ${bytes}).` });
  return false;
}

export const bytesCapped = (maxBytes: number) => z.string().superRefine((value, ctx) => void withinBytes(value, maxBytes, ctx));

const VariableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'Use 1-64 letters, digits and underscores, not starting with a digit.');

export const TemplateVariable = z.strictObject({
  name: VariableName,
  default: z
    .union([bytesCapped(VARIABLE_TEXT_MAX_BYTES), z.number(), z.boolean()])
    .optional()
    .describe('Rendered when a send gives no value (or null) for the variable; without a default it renders empty.'),
  description: bytesCapped(VARIABLE_TEXT_MAX_BYTES).optional(),
}).meta({ id: 'TemplateVariable' });

export const Variables = z
  .array(TemplateVariable)
  .max(MAX_VARIABLES)
  .refine((variables) => new Set(variables.map((v) => v.name)).size === variables.length, 'Variable names must not repeat.');

export const TemplateName = z.string().trim().min(1).max(100);
export const Description = bytesCapped(DESCRIPTION_MAX_BYTES);
const Version = z.number().int().min(1).max(2_147_483_647);

export const Template = z
  .object({
    id: idOf('template'),
    name: z.string(),
    description: z.string().nullable(),
    subject: z.string().describe('Liquid source of the subject.'),
    html: z.string().describe('Liquid source of the HTML part.'),
    text: z.string().nullable().describe('Liquid source of the text part; null: generated from the rendered html.'),
    variables: z.array(TemplateVariable),
    version: z.number().int().describe('Starts at 1; every change creates a new version. Also the ETag.'),
    created_at: Timestamp,
    updated_at: Timestamp.describe('When this version was created.'),
  })
  .meta({ id: 'Template' });
export type Template = z.infer<typeof Template>;

/** Lists leave out the sources: a page of 100 templates could otherwise be tens of megabytes. */
export const TemplateSummary = Template.pick({ id: true, name: true, description: true, version: true, created_at: true, updated_at: true }).meta({ id: 'TemplateSummary' });
export type TemplateSummary = z.infer<typeof TemplateSummary>;

export const TemplateParams = z.strictObject({ id: idOf('template') });
export const ListTemplatesQuery = ListQuery;
export const GetTemplateQuery = z.strictObject({
  version: z.coerce.number().pipe(Version).optional().describe(`An earlier version (the latest ${TEMPLATE_VERSIONS_KEPT} are kept); default the latest.`),
});

export const RenderTemplateBody = z.strictObject({
  variables: z.record(z.string(), z.unknown()).default({}),
  version: Version.optional().describe('Render an earlier version; default the latest.'),
});

export const RenderedTemplate = z
  .object({
    subject: z.string(),
    html: z.string(),
    text: z.string().describe('The text part, or text generated from the rendered html when the template has none.'),
    template_version: z.number().int().describe('The version that was rendered.'),
  })
  .meta({ id: 'RenderedTemplate' });
export type RenderedTemplate = z.infer<typeof RenderedTemplate>;

export const TemplateDeleted = z.object({ id: idOf('template'), deleted: z.literal(true) });
