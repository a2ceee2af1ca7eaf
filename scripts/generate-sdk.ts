/**
 * Generates the SDK's per-route code from the OpenAPI document (functions/domain/openapi.ts):
 * - packages/sdk/src/generated/api-types.ts: request and response types (openapi-typescript);
 * - packages/sdk/src/generated/resources.ts: each operation's method, path, parameters, idempotency and
 *   pagination, the resource classes (`mailroom.inboxes.messages.reply(…)`) and a type per named schema.
 * `npm run generate:sdk` writes them; test/unit/sdk-generated.test.ts fails when the committed files are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { buildOpenApiDocument, type OpenApiDocument, type OpenApiOperation } from '../functions/domain/openapi.js';
import { routeById, type RouteId } from '../lib/routes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SDK_DIR = join(ROOT, 'packages/sdk');
export const SDK_GENERATED_FILES = ['src/generated/api-types.ts', 'src/generated/resources.ts'] as const;

/**
 * Where a route's resource lives when it is not a top-level resource of its own name: nested areas read as
 * the API's paths do (`/v1/inboxes/{id}/messages` → `inboxes.messages`).
 */
const RESOURCE_PATHS: Record<string, string[]> = {
  'inbox-messages': ['inboxes', 'messages'],
  'inbox-sends': ['inboxes', 'messages'],
  'inbox-threads': ['inboxes', 'threads'],
  'webhook-attempts': ['webhooks', 'attempts'],
  'bucket-objects': ['buckets', 'objects'],
  'bucket-uploads': ['buckets', 'uploads'],
  'campaign-enrollments': ['campaigns', 'enrollments'],
  'campaign-test-events': ['campaigns', 'testEvents'],
  'contact-events': ['contacts', 'events'],
  'contact-imports': ['contacts', 'imports'],
};

/** Routes that are a single method rather than a verb of a resource. */
const METHOD_PATHS: Record<string, string[]> = {
  'health.get': ['health'],
  'me.get': ['me'],
  'identify.upsert': ['identify'],
  'events.track': ['track'],
  'campaign-stats.get': ['campaigns', 'stats'],
  'storage-usage.get': ['storage', 'usage'],
};

/**
 * Routes left out of the resources (still callable with `mailroom.request(id)`): links in mail that recipients
 * open, carrying their own signed token instead of a key; the MCP endpoint, spoken by MCP clients, not SDK users;
 * and the API's own description (OpenAPI document, HTML reference, llms.txt), which is for tools and readers.
 */
export const NOT_IN_RESOURCES = new Set([
  'unsubscribe.confirm',
  'lists.confirm',
  'lists.confirm-one-click',
  'mcp.post',
  'reference.openapi',
  'reference.docs',
  'reference.llms',
]);

/** Named schemas whose name would shadow something a user already has in scope. */
const SCHEMA_TYPE_NAMES: Record<string, string> = { Error: 'ErrorResponse' };

/** Extra members of a resource, hand-written in the runtime: the webhook receiver's helper next to the API. */
const RESOURCE_EXTRAS: Record<string, { imports: string; members: string[] }> = {
  webhooks: {
    imports: "import { sign, verify } from '../webhooks.js';",
    members: [
      '/** Verifies a received webhook request and returns its event (see `webhooks.verify`). */',
      'readonly verify = verify;',
      '/** Signs a payload as Mailroom does (for testing receivers). */',
      'readonly sign = sign;',
    ],
  },
};

interface OperationInfo {
  id: string;
  method: string;
  path: string;
  pathParams: string[];
  query: 'none' | 'optional' | 'required';
  body: 'none' | 'optional' | 'required';
  idempotent: boolean;
  paginated: boolean;
  operation: OpenApiOperation;
}

interface ResourceNode {
  path: string[];
  methods: Map<string, OperationInfo>;
  children: Map<string, ResourceNode>;
}

const camel = (text: string) => text.replace(/[-_]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (text: string) => camel(text).replace(/^[a-z]/, (c) => c.toUpperCase());
const className = (path: string[]) => `${path.map(pascal).join('')}Resource`;

export function sdkVersion(): string {
  return (JSON.parse(readFileSync(join(SDK_DIR, 'package.json'), 'utf8')) as { version: string }).version;
}

function schemaAt(document: OpenApiDocument, schema: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const ref = schema?.$ref;
  if (typeof ref !== 'string') return schema;
  return document.components.schemas[ref.replace('#/components/schemas/', '')];
}

function isPageResponse(document: OpenApiDocument, operation: OpenApiOperation): boolean {
  const schema = schemaAt(document, operation.responses['200']?.content?.['application/json']?.schema);
  const properties = (schema?.properties ?? {}) as Record<string, Record<string, unknown>>;
  return properties.data?.type === 'array' && 'next_cursor' in properties && operation.parameters.some((p) => p.in === 'query' && p.name === 'cursor');
}

export function operationsOf(document: OpenApiDocument): OperationInfo[] {
  return Object.values(document.paths).flatMap((methods) =>
    Object.entries(methods).map(([method, operation]) => {
      // The route table's path: OpenAPI cannot say that `{key+}` keeps its slashes; the SDK can.
      const path = routeById(operation.operationId as RouteId).path;
      const query = operation.parameters.filter((p) => p.in === 'query');
      return {
        id: operation.operationId,
        method: method.toUpperCase(),
        path,
        pathParams: operation.parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: query.length === 0 ? 'none' : query.some((p) => p.required) ? 'required' : 'optional',
        body: !operation.requestBody ? 'none' : operation.requestBody.required ? 'required' : 'optional',
        idempotent: operation['x-mailroom-idempotent'] === true,
        paginated: method === 'get' && isPageResponse(document, operation),
        operation,
      } satisfies OperationInfo;
    }),
  );
}

/** `inbox-sends.reply-all` → `['inboxes', 'messages', 'replyAll']`. */
export function sdkPathOf(id: string): string[] {
  if (METHOD_PATHS[id]) return METHOD_PATHS[id]!;
  const [resource, verb] = id.split('.') as [string, string];
  return [...(RESOURCE_PATHS[resource] ?? [camel(resource)]), camel(verb)];
}

function resourceTree(operations: OperationInfo[]): ResourceNode {
  const root: ResourceNode = { path: [], methods: new Map(), children: new Map() };
  for (const info of operations) {
    if (NOT_IN_RESOURCES.has(info.id)) continue;
    const path = sdkPathOf(info.id);
    let node = root;
    for (const name of path.slice(0, -1)) {
      if (node.methods.has(name)) throw new Error(`${path.join('.')}: "${name}" is both a method and a resource.`);
      if (!node.children.has(name)) node.children.set(name, { path: [...node.path, name], methods: new Map(), children: new Map() });
      node = node.children.get(name)!;
    }
    const method = path.at(-1)!;
    if (node.methods.has(method) || node.children.has(method)) throw new Error(`${info.id}: mailroom.${path.join('.')} is taken (by ${node.methods.get(method)?.id ?? 'a resource'}).`);
    node.methods.set(method, info);
  }
  return root;
}

function jsDoc(lines: string[], indent: string): string {
  const safe = lines.flatMap((line) => line.replaceAll('*/', '*\\/').split('\n'));
  return [`${indent}/**`, ...safe.map((line) => (line ? `${indent} * ${line}` : `${indent} *`)), `${indent} */`].join('\n');
}

function methodSource(name: string, info: OperationInfo): string {
  const id = `'${info.id}'`;
  const args: Array<{ text: string; optional: boolean }> = [
    ...info.pathParams.map((param) => ({ text: `${camel(param)}: string`, optional: false })),
    ...(info.body === 'none' ? [] : [{ text: `body: OperationBody<${id}>`, optional: info.body === 'optional' }]),
    ...(info.query === 'none' ? [] : [{ text: `query: OperationQuery<${id}>`, optional: info.query === 'optional' }]),
    { text: 'options: RequestOptions', optional: true },
  ];
  // An optional argument before a required one is written `x: T | undefined`.
  const signature = args
    .map((arg, i) => (!arg.optional ? arg.text : args.slice(i + 1).some((later) => !later.optional) ? `${arg.text} | undefined` : arg.text.replace(':', '?:')))
    .join(', ');
  const input = [
    ...(info.pathParams.length ? [`params: { ${info.pathParams.map((p) => (camel(p) === p ? p : `${p}: ${camel(p)}`)).join(', ')} }`] : []),
    ...(info.body === 'none' ? [] : ['body']),
    ...(info.query === 'none' ? [] : ['query']),
  ];
  const call = info.paginated ? 'paginate' : 'request';
  const result = info.paginated ? `Page<OperationResult<${id}>>` : `Promise<OperationResult<${id}>>`;
  const { operation } = info;
  const doc = jsDoc(
    [
      `${operation.summary}.`.replace(/\.\.$/, '.'),
      ...(operation.description ? ['', operation.description] : []),
      '',
      `\`${info.method} ${info.path}\` (\`${info.id}\`). ${operation['x-mailroom-access']}${info.idempotent ? ' Sends an `Idempotency-Key` (one per call, reused by its retries).' : ''}`,
      ...(info.paginated ? ['', '`await` it for the first page; `for await` it for every item across pages.'] : []),
    ],
    '  ',
  );
  return `${doc}\n  ${name}(${signature}): ${result} {\n    return this.caller.${call}(${id}, ${input.length ? `{ ${input.join(', ')} }` : '{}'}, options);\n  }`;
}

function classSource(node: ResourceNode, name: string, header: string, isRoot: boolean): string {
  const members: string[] = [];
  for (const [childName, child] of node.children) {
    members.push(`  readonly ${childName}: ${className(child.path)};`);
  }
  const extras = RESOURCE_EXTRAS[node.path.join('.')];
  for (const line of extras?.members ?? []) members.push(`  ${line}`);
  const assignments = [...node.children].map(([childName, child]) => `    this.${childName} = new ${className(child.path)}(${isRoot ? 'this' : 'caller'});`);
  const parameters = isRoot ? '' : 'protected readonly caller: Caller';
  const constructor = assignments.length ? `  constructor(${parameters}) {\n${assignments.join('\n')}\n  }` : isRoot ? '' : `  constructor(${parameters}) {}`;
  const methods = [...node.methods].map(([methodName, info]) => methodSource(methodName, info).replaceAll('this.caller.', isRoot ? 'this.' : 'this.caller.'));
  const abstract = isRoot
    ? [
        '  abstract request<Id extends OperationId>(id: Id, ...args: RequestArgs<Id>): Promise<OperationResult<Id>>;',
        '  abstract paginate<Id extends PaginatedOperationId>(id: Id, ...args: RequestArgs<Id>): Page<OperationResult<Id>>;',
      ]
    : [];
  const body = [members.join('\n'), constructor, ...methods, ...abstract].filter(Boolean).join('\n\n');
  return `${header}\nexport ${isRoot ? 'abstract class' : 'class'} ${name}${isRoot ? ' implements Caller' : ''} {\n${body}\n}`;
}

function allNodes(node: ResourceNode): ResourceNode[] {
  return [...node.children.values()].flatMap((child) => [...allNodes(child), child]);
}

const BANNER = '// Generated by scripts/generate-sdk.ts from the OpenAPI document (npm run generate:sdk). Do not edit.';

export function renderResources(document: OpenApiDocument, version: string): string {
  const operations = operationsOf(document);
  const root = resourceTree(operations);
  const table = operations.map(
    (info) =>
      `  '${info.id}': { method: '${info.method}', path: '${info.path}', pathParams: [${info.pathParams.map((p) => `'${p}'`).join(', ')}], idempotent: ${info.idempotent}, paginated: ${info.paginated} },`,
  );
  const schemaTypes = Object.keys(document.components.schemas)
    .filter((name) => /^[A-Za-z][A-Za-z0-9]*$/.test(name))
    .map((name) => `export type ${SCHEMA_TYPE_NAMES[name] ?? name} = Schemas['${name}'];`);
  const classes = allNodes(root).map((node) =>
    classSource(node, className(node.path), jsDoc([`\`mailroom.${node.path.join('.')}\``], ''), false),
  );
  const api = classSource(root, 'MailroomApi', jsDoc(['Every resource and top-level method; `Mailroom` supplies the request pipeline.'], ''), true);
  const extraImports = Object.values(RESOURCE_EXTRAS).map((extra) => extra.imports);
  return [
    BANNER,
    "import type { components } from './api-types.js';",
    "import type { Page } from '../pagination.js';",
    "import type { Caller, OperationBody, OperationId, OperationMeta, OperationQuery, OperationResult, PaginatedOperationId, RequestArgs, RequestOptions } from '../types.js';",
    ...extraImports,
    '',
    `export const SDK_VERSION = '${version}';`,
    '',
    '/** What the client needs to call each operation, by operation id (the route id). */',
    'export const OPERATIONS = {',
    ...table,
    '} as const satisfies Record<OperationId, OperationMeta>;',
    '',
    "type Schemas = components['schemas'];",
    ...schemaTypes,
    '',
    classes.join('\n\n'),
    '',
    api,
    '',
  ].join('\n');
}

export async function renderApiTypes(document: OpenApiDocument): Promise<string> {
  // A `default` makes a field optional to send; a response lists the fields it always has under `required`.
  const ast = await openapiTS(document as unknown as OpenAPI3, { silent: true, defaultNonNullable: false });
  return `${BANNER}\n${astToString(ast)}`;
}

/** Every generated file, by path relative to packages/sdk. */
export async function renderSdk(): Promise<Record<(typeof SDK_GENERATED_FILES)[number], string>> {
  const version = sdkVersion();
  const document = buildOpenApiDocument({ version });
  return {
    'src/generated/api-types.ts': await renderApiTypes(document),
    'src/generated/resources.ts': renderResources(document, version),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await renderSdk();
  for (const [path, text] of Object.entries(files)) writeFileSync(join(SDK_DIR, path), text);
  process.stdout.write(`Generated ${Object.keys(files).join(', ')} in packages/sdk\n`);
}
