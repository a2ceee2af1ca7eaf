import * as z from 'zod';
import { idOf, ListQuery, Timestamp } from './common.js';
import { liquidSyntaxError, RENDER_LIMITS, TEMPLATE_SOURCE_MAX_BYTES } from '../domain/template-engine.js';

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
function withinBytes(value: string, maxBytes: number, ctx: z.RefinementCtx): boolean {
  const bytes = Buffer.byteLength(value);
  if (bytes <= maxBytes) return true;
  ctx.addIssue({ code: 'too_big', origin: 'string', maximum: maxBytes, inclusive: true, input: value, message: `Must be at most ${maxBytes} bytes in UTF-8 (got ${bytes}).` });
  return false;
}

const bytesCapped = (maxBytes: number) => z.string().superRefine((value, ctx) => void withinBytes(value, maxBytes, ctx));

/** Liquid source: parsed at save, so a syntax error is a 422 naming the field, with liquidjs's line and column. */
const liquidSource = (maxBytes: number) =>
  z
    .string()
    .min(1)
    .superRefine((source, ctx) => {
      if (!withinBytes(source, maxBytes, ctx)) return;
      const error = liquidSyntaxError(source);
      if (error) ctx.addIssue({ code: 'custom', message: `Invalid Liquid: ${error}` });
    });

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
});

const Variables = z
  .array(TemplateVariable)
  .max(MAX_VARIABLES)
  .refine((variables) => new Set(variables.map((v) => v.name)).size === variables.length, 'Variable names must not repeat.');

const TemplateName = z.string().trim().min(1).max(100);
const Description = bytesCapped(DESCRIPTION_MAX_BYTES);
const Subject = liquidSource(TEMPLATE_SOURCE_MAX_BYTES.subject).describe(`Liquid. Rendered unescaped, on one line, at most ${RENDER_LIMITS.subjectChars} characters.`);
const Html = liquidSource(TEMPLATE_SOURCE_MAX_BYTES.html).describe('Liquid. Every output is HTML-escaped (so `| escape` would escape twice); end an output with `| raw` to insert trusted HTML.');
const Text = liquidSource(TEMPLATE_SOURCE_MAX_BYTES.text).describe('Liquid, rendered unescaped. Null: generated from the rendered html.');
const Version = z.number().int().min(1).max(2_147_483_647);

export const Template = z.object({
  id: idOf('template'),
  name: z.string(),
  description: z.string().nullable(),
  subject: z.string(),
  html: z.string(),
  text: z.string().nullable(),
  variables: z.array(TemplateVariable),
  version: z.number().int().describe('Starts at 1; every change creates a new version. Also the ETag.'),
  created_at: Timestamp,
  updated_at: Timestamp.describe('When this version was created.'),
});
export type Template = z.infer<typeof Template>;

/** Lists leave out the sources: a page of 100 templates could otherwise be tens of megabytes. */
export const TemplateSummary = Template.pick({ id: true, name: true, description: true, version: true, created_at: true, updated_at: true });
export type TemplateSummary = z.infer<typeof TemplateSummary>;

export const CreateTemplateBody = z.strictObject({
  name: TemplateName,
  description: Description.nullable().default(null),
  subject: Subject,
  html: Html,
  text: Text.nullable().default(null),
  variables: Variables.default([]),
});
/** What a version holds besides its number and timestamps. */
export type TemplateContent = z.output<typeof CreateTemplateBody>;

/** Absent fields stay as they are; null clears description or text. */
export const UpdateTemplateBody = z.strictObject({
  name: TemplateName.optional(),
  description: Description.nullable().optional(),
  subject: Subject.optional(),
  html: Html.optional(),
  text: Text.nullable().optional(),
  variables: Variables.optional(),
});
export type TemplateChanges = z.output<typeof UpdateTemplateBody>;

export const TemplateParams = z.strictObject({ id: idOf('template') });
export const ListTemplatesQuery = ListQuery;
export const GetTemplateQuery = z.strictObject({
  version: z.coerce.number().pipe(Version).optional().describe(`An earlier version (the latest ${TEMPLATE_VERSIONS_KEPT} are kept); default the latest.`),
});

export const RenderTemplateBody = z.strictObject({
  variables: z.record(z.string(), z.unknown()).default({}),
  version: Version.optional().describe('Render an earlier version; default the latest.'),
});

export const RenderedTemplate = z.object({
  subject: z.string(),
  html: z.string(),
  text: z.string().describe('The text part, or text generated from the rendered html when the template has none.'),
  template_version: z.number().int(),
});
export type RenderedTemplate = z.infer<typeof RenderedTemplate>;
