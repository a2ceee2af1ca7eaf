/** Turns the raw API Gateway event into validated input: body size, content type, JSON, then zod. */
import type * as z from 'zod';
import { ApiError } from '../errors.js';
import { DEFAULT_MAX_BODY_BYTES, type RouteDefinition } from '../../../lib/routes.js';
import { validationError } from './validation.js';
import type { HttpEvent } from './types.js';

export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

export function readJsonBody(event: HttpEvent, route: RouteDefinition): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  const limit = route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (raw.byteLength > limit) {
    throw new ApiError('payload_too_large', `The request body is ${raw.byteLength} bytes; this endpoint accepts at most ${limit} bytes.`);
  }
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(contentType)) {
    throw new ApiError('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json.', { param: 'Content-Type' });
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new ApiError('invalid_parameter', `The body is not valid JSON: ${(error as Error).message}`, { param: 'body' });
  }
}

export interface InputSchemas {
  /** Leave the request body unread (the `$default` fallback answers 404/405 whatever the body is). */
  ignoreBody?: true;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
}

export type Input<S extends InputSchemas> = {
  body: S['body'] extends z.ZodType ? z.output<S['body']> : undefined;
  query: S['query'] extends z.ZodType ? z.output<S['query']> : Record<string, never>;
  params: S['params'] extends z.ZodType ? z.output<S['params']> : Record<string, never>;
};

/** Validates query and body together, so one response lists every invalid field (a bad path id is a 404). */
export function parseInput<S extends InputSchemas>(event: HttpEvent, route: RouteDefinition, schemas: S): Input<S> {
  const rawBody = schemas.ignoreBody ? undefined : readJsonBody(event, route);
  if (!schemas.body && rawBody !== undefined) {
    throw new ApiError('invalid_parameter', 'This endpoint takes no request body.', { param: 'body' });
  }
  const issues: z.core.$ZodIssue[] = [];
  const check = (schema: z.ZodType | undefined, input: unknown) => {
    if (!schema) return {};
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    issues.push(...result.error.issues);
    return undefined;
  };
  // An id that cannot exist (wrong prefix or shape) names no resource: 404, like an id that does not exist.
  const params = schemas.params ? schemas.params.safeParse(event.pathParameters ?? {}) : { success: true as const, data: {} };
  if (!params.success) {
    throw new ApiError('not_found', `No resource matches ${event.rawPath}.`, { param: String(params.error.issues[0]?.path[0] ?? 'id') });
  }
  const query = check(schemas.query, event.queryStringParameters ?? {});
  const body = schemas.body ? check(schemas.body, rawBody ?? {}) : undefined;
  if (issues.length) throw validationError(issues);
  return { params: params.data, query, body } as Input<S>;
}
