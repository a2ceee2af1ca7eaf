/**
 * What each route of the table (lib/routes.ts) accepts and answers, as zod schemas: the OpenAPI document,
 * /docs, /llms.txt, the SDK's types and the MCP tools are all generated from these entries.
 *
 * Every resource's schema module exports its entries with `defineRoutes`; functions/schemas/api.ts joins
 * them and the compiler refuses a route without one. The request schemas are the very objects the handler
 * validates with (test/unit/openapi.test.ts checks they are identical), so the document cannot drift.
 */
import * as z from 'zod';
import type { RouteId } from '../../lib/routes.js';
import type { ErrorCode } from '../shared/errors.js';

export type SuccessStatus = 200 | 201 | 202 | 204 | 302 | 303;

/** A success body that is not a JSON resource (a page, plain text, the OpenAPI document): its content type and what it is. */
export interface RawBody {
  contentType: string;
  description: string;
}

export interface RouteContract {
  /** One line, imperative: "Send an email". */
  summary: string;
  /** What a caller needs to know beyond the summary: behaviour, limits, side effects. Markdown. */
  description?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Success answers by status: a JSON schema, a raw body, or `null` for no body. */
  responses: Partial<Record<SuccessStatus, z.ZodType | RawBody | null>>;
  /**
   * Error codes particular to this route (a 409 conflict, a 422 rule). The ones every route of its kind can
   * answer (401/403 for keyed routes, 400/422 for input, 404 for path ids, 409 idempotency, 429, 500) are
   * added by the generator from the route table.
   */
  errors?: readonly ErrorCode[];
  /** Links opened in a browser: with `Accept: text/html` the route answers a page instead of JSON (success and 4xx). */
  browserPage?: true;
  /** Request headers the route reads beyond Authorization/Idempotency-Key (e.g. If-Match). */
  headers?: readonly ('If-Match')[];
}

export type RouteContracts = Partial<Record<RouteId, RouteContract>>;

/** Keeps each entry's exact type (the SDK and MCP tools infer from it) while checking it against RouteContract. */
export const defineRoutes = <const T extends RouteContracts>(routes: T): T => routes;

/** The error envelope every failure answers with (functions/shared/errors.ts renders it). */
export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. `invalid_parameter`.'),
      message: z.string().describe('What went wrong and how to fix it, for humans.'),
      param: z.string().optional().describe('The field, header or query parameter at fault.'),
      retryable: z.boolean().describe('True when the same request may succeed later (429, 5xx).'),
      errors: z
        .array(z.object({ field: z.string(), code: z.string(), message: z.string() }))
        .optional()
        .describe('Every invalid field, when the input failed validation.'),
    }).catchall(z.unknown()),
    request_id: z.string(),
  })
  .meta({ id: 'Error' });
