/**
 * Template bodies for create and update, and the template routes' contracts (which name those bodies).
 * Apart from the other template schemas because checking Liquid at save needs the engine: only the two
 * routes that save templates (and the API description) bundle it, not the read routes.
 */
import * as z from 'zod';
import { liquidSyntaxError } from '../domain/template-engine.js';
import { RENDER_LIMITS, TEMPLATE_SOURCE_MAX_BYTES } from '../domain/template-limits.js';
import { pageOf } from './common.js';
import { defineRoutes } from './contract.js';
import {
  Description,
  GetTemplateQuery,
  ListTemplatesQuery,
  RenderedTemplate,
  RenderTemplateBody,
  Template,
  TEMPLATE_VERSIONS_KEPT,
  TemplateDeleted,
  TemplateName,
  TemplateParams,
  TemplateSummary,
  Variables,
  withinBytes,
} from './templates.js';

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

export const TEMPLATE_ROUTES = defineRoutes({
  'templates.create': {
    summary: 'Create a template',
    description:
      'A Liquid template for `subject`, `html` and optionally `text`, at version 1. The sources are parsed now: a Liquid syntax error is a 422 ' +
      'naming the field, with line and column. Send it with `template_id` in POST /v1/emails.',
    body: CreateTemplateBody,
    responses: { 201: Template },
  },
  'templates.list': {
    summary: 'List templates',
    description: 'The team\'s templates, newest first, without their sources (GET one template for those).',
    query: ListTemplatesQuery,
    responses: { 200: pageOf(TemplateSummary) },
  },
  'templates.get': {
    summary: 'Get a template',
    description: `The latest version, or an earlier one with \`version\` (the latest ${TEMPLATE_VERSIONS_KEPT} are kept; an older one is a 404). Only the latest carries an ETag.`,
    params: TemplateParams,
    query: GetTemplateQuery,
    responses: { 200: Template },
  },
  'templates.update': {
    summary: 'Update a template',
    description:
      `Absent fields stay as they are; null clears \`description\` or \`text\`. Every change creates a new version (the latest ${TEMPLATE_VERSIONS_KEPT} are kept); ` +
      'a PATCH that changes nothing creates none and answers the current version. Emails already accepted keep the version they were rendered from. Honours If-Match.',
    params: TemplateParams,
    body: UpdateTemplateBody,
    responses: { 200: Template },
    headers: ['If-Match'],
  },
  'templates.delete': {
    summary: 'Delete a template',
    description: 'Deletes the template and every kept version. Emails already accepted are not affected; later sends naming it are refused with a 422.',
    params: TemplateParams,
    responses: { 200: TemplateDeleted },
  },
  'templates.render': {
    summary: 'Preview a template',
    description:
      'Renders the latest version (or `version`) with `variables` exactly as a send would: html outputs are escaped, missing variables take ' +
      'their default or render empty, and the text part is generated from the html when the template has none. Nothing is sent or stored. ' +
      'A render that fails or exceeds its limits is a 422.',
    params: TemplateParams,
    body: RenderTemplateBody,
    responses: { 200: RenderedTemplate },
  },
});
