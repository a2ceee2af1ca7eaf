/**
 * The OpenAPI 3.1 document, generated from the route table (lib/routes.ts: paths, methods, access,
 * idempotency) and the route contracts (functions/schemas/api.ts: zod request and response schemas).
 * Nothing here is written by hand per route: a route added to the table appears here, in /docs, in
 * /llms.txt, in the SDK and in the MCP tools.
 */
import * as z from 'zod';
import { ROUTES, type RouteDefinition, type RouteId } from '../../lib/routes.js';
import { API_ROUTES } from '../schemas/api.js';
import { ErrorEnvelope, type RawBody, type RouteContract } from '../schemas/contract.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../schemas/common.js';
import { ERROR_STATUS, type ErrorCode } from '../shared/errors.js';
import { config } from '../shared/config.js';

type JsonSchema = Record<string, unknown>;
type Io = 'input' | 'output';

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Array<Record<string, string[]>>;
  parameters: OpenApiParameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: JsonSchema }> }>;
  'x-mailroom-access': string;
  'x-mailroom-idempotent'?: true;
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  security: Array<Record<string, string[]>>;
  tags: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, JsonSchema> };
}

const CONTRACTS: Record<RouteId, RouteContract> = API_ROUTES;

export const API_DESCRIPTION = [
  'Mailroom is an email platform deployed into your own AWS account: transactional sending, inboxes that receive and',
  'thread mail, webhooks, contacts, campaigns and storage, behind one API.',
  '',
  '- **Authentication**: `Authorization: Bearer <key>`. Team keys carry scopes (`read`, `write`, `send`, `admin`; admin',
  '  implies all, write implies read); inbox keys reach one inbox; the root key manages teams.',
  '- **Errors**: one envelope everywhere: `{"error":{"code","message","param"?,"retryable","errors"?},"request_id"}`.',
  '  `retryable: true` (429, 5xx) means the same request may succeed later; honour `Retry-After`.',
  '- **Lists** are newest first, with `limit` and an opaque `cursor`; responses are `{"data":[...],"next_cursor"}`',
  '  (`null` on the last page).',
  '- **Idempotency**: POSTs that create or send accept `Idempotency-Key`; the same key and body replay the first',
  '  response for 24 h (`Idempotent-Replayed: true`), a different body answers 409 `idempotency_conflict`.',
  '- **Rate limits**: every keyed response carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.',
  '- **Versions**: updatable resources carry a `version`; send `If-Match: "<version>"` to refuse lost updates.',
].join('\n');

/** `inbox-messages` → `Inbox messages`: the tag a route is listed under (its resource). */
export const tagOf = (route: Pick<RouteDefinition, 'id'>) => {
  const resource = route.id.split('.')[0]!.replace(/-/g, ' ');
  return resource.charAt(0).toUpperCase() + resource.slice(1);
};

export function accessText(route: RouteDefinition): string {
  const access = route.access;
  if (access === 'public') return 'No key needed.';
  if (access === 'root') return 'Root key only.';
  const scope = access.scope === 'any' ? 'Any team key' : `A team key with the \`${access.scope}\` scope`;
  const inbox = access.inboxKeys ? `; an inbox key for its own inbox${access.inboxScope ? ` (\`${access.inboxScope}\`)` : ''}` : '';
  return `${scope}${access.root ? ', or the root key' : ''}${inbox}.`;
}

const isRaw = (value: unknown): value is RawBody => typeof value === 'object' && value !== null && 'contentType' in value && !(value instanceof z.ZodType);

/**
 * Converts zod schemas one at a time and hoists every named schema (`.meta({ id })`) into components.
 * A named schema's request form can differ from its response form (defaults, transforms): references are
 * marked with their form while converting, and `finish()` names an input form `<id>Input` only when it
 * differs from the output form of the same id.
 */
class SchemaCollector {
  private readonly forms = new Map<string, string>();

  convert(schema: z.ZodType, io: Io): JsonSchema {
    const converted = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any', metadata: z.globalRegistry }) as JsonSchema;
    const defs = (converted.$defs ?? {}) as Record<string, JsonSchema>;
    delete converted.$defs;
    delete converted.$schema;
    for (const [id, def] of Object.entries(defs)) {
      const json = JSON.stringify(markRefs(def, io));
      const seen = this.forms.get(`${id}${FORM}${io}`);
      if (seen !== undefined && seen !== json) throw new Error(`Two different schemas are named "${id}"; give each its own .meta({ id }).`);
      this.forms.set(`${id}${FORM}${io}`, json);
    }
    return markRefs(converted, io);
  }

  /** Replaces the form markers in `document` with final component names and returns the components. */
  finish<T>(document: T): { document: T; schemas: Record<string, JsonSchema> } {
    const sameForms = new Map<string, boolean>();
    const same = (id: string, visiting = new Set<string>()): boolean => {
      if (sameForms.has(id)) return sameForms.get(id)!;
      const input = this.forms.get(`${id}${FORM}input`);
      const output = this.forms.get(`${id}${FORM}output`);
      if (input === undefined || output === undefined) return input === undefined;
      if (visiting.has(id)) return true;
      visiting.add(id);
      const strip = (json: string) => json.replace(FORM_MARK, (_, nested: string) => nested);
      const nested = [...input.matchAll(FORM_MARK)].map((m) => m[1]!);
      const result = strip(input) === strip(output) && nested.every((n) => same(n, visiting));
      sameForms.set(id, result);
      return result;
    };
    const nameOf = (id: string, io: string) => (io === 'input' && this.forms.has(`${id}${FORM}output`) && !same(id) ? `${id}Input` : id);
    const rename = (json: string) => json.replace(FORM_MARK, (_, id: string, io: string) => `#/components/schemas/${nameOf(id, io)}`);
    const schemas: Record<string, JsonSchema> = {};
    for (const [key, json] of [...this.forms].sort(([a], [b]) => a.localeCompare(b))) {
      const [id, io] = key.split(FORM) as [string, string];
      schemas[nameOf(id, io)] ??= JSON.parse(rename(json));
    }
    return { document: JSON.parse(rename(JSON.stringify(document))), schemas };
  }
}

const FORM = '~form~';
const FORM_MARK = /#\/components\/schemas\/([A-Za-z0-9_.-]+)~form~(input|output)/g;

function markRefs(node: JsonSchema, io: Io): JsonSchema {
  return JSON.parse(JSON.stringify(node), (key, value) =>
    key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/') ? `#/components/schemas/${value.slice('#/$defs/'.length)}${FORM}${io}` : value,
  );
}

function objectParameters(schema: z.ZodType | undefined, where: 'path' | 'query', collector: SchemaCollector): OpenApiParameter[] {
  if (!schema) return [];
  const json = collector.convert(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' && { description }),
      schema: rest,
    };
  });
}

function pathParameters(route: RouteDefinition, contract: RouteContract, collector: SchemaCollector): OpenApiParameter[] {
  const declared = objectParameters(contract.params, 'path', collector);
  const names = [...route.path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\+?\}/g)].map((m) => m[1]!);
  const greedy = new Set([...route.path.matchAll(/\{(\w+)\+\}/g)].map((m) => m[1]!));
  return names.map((name) => {
    const parameter = declared.find((p) => p.name === name) ?? { name, in: 'path' as const, required: true, schema: { type: 'string' } };
    if (!greedy.has(name)) return parameter;
    return { ...parameter, description: `${parameter.description ? `${parameter.description} ` : ''}May contain \`/\` (sent as is or as %2F).` };
  });
}

/** The errors a route can answer, from what the route table says about it plus the contract's own. */
export function errorCodesOf(route: RouteDefinition, contract: RouteContract): ErrorCode[] {
  // Every route caps and parses a body, even one it does not expect (then 400).
  const codes = new Set<ErrorCode>(['invalid_parameter', 'payload_too_large', 'internal_error']);
  if (route.access !== 'public') ['authentication_required', 'insufficient_permissions', 'rate_limit_exceeded'].forEach((c) => codes.add(c as ErrorCode));
  if (contract.body) ['unsupported_media_type', 'validation_error'].forEach((c) => codes.add(c as ErrorCode));
  if (contract.query) codes.add('validation_error');
  if (route.path.includes('{')) codes.add('not_found');
  if (route.idempotent) codes.add('idempotency_conflict');
  if (contract.headers?.includes('If-Match')) codes.add('conflict');
  for (const code of contract.errors ?? []) codes.add(code);
  return [...codes].sort((a, b) => ERROR_STATUS[a] - ERROR_STATUS[b]);
}

const BROWSER_PAGE = { 'text/html': { schema: { type: 'string', description: 'A page for a person (sent when the request prefers text/html).' } } };

const SUCCESS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content', 302: 'Redirect', 303: 'Redirect' };

function operation(route: RouteDefinition, contract: RouteContract, collector: SchemaCollector): OpenApiOperation {
  const parameters = [...pathParameters(route, contract, collector), ...objectParameters(contract.query, 'query', collector)];
  if (route.idempotent) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Replays the first response for 24 h when the same key is sent with the same body; a retried send never sends twice.',
      schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
    });
  }
  if (contract.headers?.includes('If-Match')) {
    parameters.push({ name: 'If-Match', in: 'header', required: false, description: 'The `version` you read, as an ETag (`"3"`): refuses the change with 409 if the resource changed since.', schema: { type: 'string' } });
  }
  const responses: OpenApiOperation['responses'] = {};
  for (const [status, body] of Object.entries(contract.responses)) {
    if (body === null || body === undefined) responses[status] = { description: SUCCESS_TEXT[Number(status)] ?? 'OK' };
    else if (isRaw(body)) responses[status] = { description: body.description, content: { [body.contentType]: { schema: { type: body.contentType === 'application/json' ? 'object' : 'string' } } } };
    else responses[status] = { description: SUCCESS_TEXT[Number(status)] ?? 'OK', content: { 'application/json': { schema: collector.convert(body, 'output') } } };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(route, contract)) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  for (const [status, codes] of byStatus) {
    responses[String(status)] = {
      description: codes.map((c) => `\`${c}\``).join(', '),
      ...((status === 429 || status === 503) && { headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } } }),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  if (contract.browserPage) {
    for (const [status, response] of Object.entries(responses)) if (Number(status) < 500 && response.content?.['application/json']) Object.assign(response.content, BROWSER_PAGE);
  }
  const bodyOptional = contract.body?.safeParse(undefined).success ?? false;
  return {
    operationId: route.id,
    summary: contract.summary,
    ...(contract.description && { description: contract.description }),
    tags: [tagOf(route)],
    ...(route.access === 'public' && { security: [] }),
    parameters,
    ...(contract.body && { requestBody: { required: !bodyOptional, content: { 'application/json': { schema: collector.convert(contract.body, 'input') } } } }),
    responses,
    'x-mailroom-access': accessText(route),
    ...(route.idempotent && { 'x-mailroom-idempotent': true as const }),
  };
}

/** API Gateway's greedy `{key+}` is `{key}` in OpenAPI (a template parameter is named without the `+`). */
export const openApiPath = (route: Pick<RouteDefinition, 'path'>) => route.path.replace(/\{(\w+)\+\}/g, '{$1}');

export function buildOpenApiDocument(options: { serverUrl?: string; version: string }): OpenApiDocument {
  const collector = new SchemaCollector();
  const errorSchema = collector.convert(ErrorEnvelope, 'output');
  const paths: OpenApiDocument['paths'] = {};
  const tags = new Set<string>();
  for (const route of ROUTES as readonly RouteDefinition[]) {
    tags.add(tagOf(route));
    (paths[openApiPath(route)] ??= {})[route.method.toLowerCase()] = operation(route, CONTRACTS[route.id as RouteId], collector);
  }
  const { document, schemas } = collector.finish({ paths, errorSchema });
  return {
    openapi: '3.1.0',
    info: { title: 'Mailroom API', version: options.version, description: API_DESCRIPTION },
    servers: [{ url: options.serverUrl ?? 'http://127.0.0.1:8787' }],
    security: [{ bearerAuth: [] }],
    tags: [...tags].map((name) => ({ name })),
    paths: document.paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'A team key, an inbox key, or the root key.' },
      },
      schemas: { ...schemas, Error: schemas.Error ?? document.errorSchema },
    },
  };
}

let cached: OpenApiDocument | undefined;
/** This deployment's document (built once per container: it only changes with the code). */
export function apiDocument(): OpenApiDocument {
  cached ??= buildOpenApiDocument({ serverUrl: config.publicApiUrl, version: config.version });
  return cached;
}
