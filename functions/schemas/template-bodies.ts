/**
 * Template bodies for create and update. Apart from the other template schemas because checking Liquid
 * at save needs the engine: only the two routes that save templates bundle it.
 */
import * as z from 'zod';
import { liquidSyntaxError } from '../domain/template-engine.js';
import { RENDER_LIMITS, TEMPLATE_SOURCE_MAX_BYTES } from '../domain/template-limits.js';
import { Description, TemplateName, Variables, withinBytes } from './templates.js';

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

const Subject = liquidSource(TEMPLATE_SOURCE_MAX_BYTES.subject).describe(`Liquid. Rendered unescaped, on one line, at most ${RENDER_LIMITS.subjectChars} characters.`);
const Html = liquidSource(TEMPLATE_SOURCE_MAX_BYTES.html).describe('Liquid. Every output is HTML-escaped (so `| escape` would escape twice); end an output with `| raw` to insert trusted HTML.');
const Text = liquidSource(TEMPLATE_SOURCE_MAX_BYTES.text).describe('Liquid, rendered unescaped. Null: generated from the rendered html.');

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

