/**
 * Generates packages/mcp/src/generated/operations.ts from the OpenAPI document and the route table: for each
 * operation a tool of packages/mcp/src/tools.ts calls, one object input schema (path parameters, query
 * parameters and body fields side by side, with where each goes), the success answer as an object output
 * schema, which keys may call it, and the package version. `npm run generate` runs it;
 * test/unit/mcp-generated.test.ts fails when the committed file is stale.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument, type OpenApiDocument, type OpenApiOperation } from '../functions/domain/openapi.js';
import { ROUTES, type RouteDefinition } from '../lib/routes.js';
import { hasScope, SCOPES, type Scope } from '../functions/shared/auth/scopes.js';
import { TOOLS } from '../packages/mcp/src/tools.js';
import type { InputLocation, JsonSchema, Operation } from '../packages/mcp/src/operation.js';

export const MCP_OPERATIONS_FILE = fileURLToPath(new URL('../packages/mcp/src/generated/operations.ts', import.meta.url));
const MCP_PACKAGE = JSON.parse(readFileSync(new URL('../packages/mcp/package.json', import.meta.url), 'utf8')) as { version: string };

const COMPONENT_REF = '#/components/schemas/';
const DEF_REF = '#/$defs/';

interface ObjectShape {
  properties: Record<string, JsonSchema>;
  required: string[];
}

/**
 * Component references become `#/$defs/…` (each tool carries the schemas it uses); anything else is a generator
 * bug. A `format` (date-time, email) already says what the regex zod emits next to it spells out: the pattern
 * goes, which keeps what agents read short (the API still checks it).
 */
function toToolSchema<T>(schema: T): T {
  return JSON.parse(JSON.stringify(schema), (key, value) => {
    if (key === '$ref') {
      if (typeof value !== 'string' || !value.startsWith(COMPONENT_REF)) throw new Error(`Unexpected $ref ${JSON.stringify(value)} in the OpenAPI document.`);
      return `${DEF_REF}${value.slice(COMPONENT_REF.length)}`;
    }
    if (value && typeof value === 'object' && typeof value.format === 'string' && 'pattern' in value) {
      const { pattern: _spelledOut, ...rest } = value;
      return rest;
    }
    return value;
  });
}

function component(document: OpenApiDocument, ref: string): JsonSchema {
  const target = document.components.schemas[ref.slice(COMPONENT_REF.length)];
  if (!target) throw new Error(`Unresolved ${ref}`);
  return target;
}

/** The schema itself, or the component a top-level `$ref` names (MCP wants `type: "object"` at the top). */
function inlineTop(schema: JsonSchema, document: OpenApiDocument): JsonSchema {
  if (typeof schema.$ref !== 'string') return schema;
  const { $ref, ...siblings } = schema;
  return { ...inlineTop(component(document, $ref), document), ...siblings };
}

const variantsOf = (schema: JsonSchema) => (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;

/**
 * A body as one set of properties. A union of object shapes (a campaign is triggered or a broadcast) is
 * merged: every property of any variant, required only when every variant requires it, and a property
 * that only some variants have says which (by the discriminator, the property that is a const in each).
 */
function objectShape(schema: JsonSchema, document: OpenApiDocument, where: string): ObjectShape {
  const resolved = inlineTop(schema, document);
  const variants = variantsOf(resolved);
  if (variants) {
    const shapes = variants.map((variant) => objectShape(variant, document, where));
    const discriminator = Object.keys(shapes[0]!.properties).find((name) => shapes.every((s) => s.properties[name]?.const !== undefined));
    const properties: Record<string, JsonSchema> = {};
    for (const name of [...new Set(shapes.flatMap((s) => Object.keys(s.properties)))]) {
      const having = shapes.filter((s) => s.properties[name]);
      const distinct = [...new Map(having.map((s) => [JSON.stringify(s.properties[name]), s.properties[name]!])).values()];
      let merged: JsonSchema;
      if (distinct.every((d) => d.const !== undefined)) merged = { type: distinct[0]!.type ?? 'string', enum: distinct.map((d) => d.const) };
      else if (distinct.length === 1) merged = distinct[0]!;
      else merged = { anyOf: distinct };
      if (discriminator && having.length < shapes.length) {
        const values = having.map((s) => JSON.stringify(s.properties[discriminator]!.const)).join(' or ');
        const description = typeof merged.description === 'string' ? `${merged.description} ` : '';
        merged = { ...merged, description: `${description}(Only when ${discriminator} is ${values}.)` };
      }
      properties[name] = merged;
    }
    const required = Object.keys(properties).filter((name) => shapes.every((s) => s.required.includes(name)));
    return { properties, required };
  }
  if (resolved.type !== 'object' || typeof resolved.properties !== 'object') throw new Error(`${where}: the body must be an object or a union of objects.`);
  return { properties: resolved.properties as Record<string, JsonSchema>, required: (resolved.required as string[] | undefined) ?? [] };
}

function inputsOf(operation: OpenApiOperation, document: OpenApiDocument): Pick<Operation, 'inputs' | 'inputSchema'> {
  const inputs: Record<string, InputLocation> = {};
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const add = (name: string, location: InputLocation, schema: JsonSchema, isRequired: boolean) => {
    if (inputs[name]) throw new Error(`${operation.operationId}: "${name}" is both a ${inputs[name]} and a ${location} input; a tool cannot tell them apart.`);
    inputs[name] = location;
    properties[name] = schema;
    if (isRequired) required.push(name);
  };
  for (const parameter of operation.parameters) {
    if (parameter.in === 'header') continue;
    add(parameter.name, parameter.in, { ...parameter.schema, ...(parameter.description && { description: parameter.description }) }, parameter.required);
  }
  const body = operation.requestBody;
  if (body) {
    const schema = body.content['application/json']?.schema;
    if (!schema) throw new Error(`${operation.operationId}: only JSON bodies can be tool inputs.`);
    const shape = objectShape(schema, document, operation.operationId);
    for (const [name, property] of Object.entries(shape.properties)) add(name, 'body', property, body.required && shape.required.includes(name));
  }
  return { inputs, inputSchema: { type: 'object', properties, ...(required.length && { required }), additionalProperties: false } };
}

function outputOf(operation: OpenApiOperation, document: OpenApiDocument): Pick<Operation, 'output' | 'outputSchema'> {
  const success = Object.entries(operation.responses)
    .filter(([status]) => Number(status) < 300)
    .sort(([a], [b]) => Number(a) - Number(b))[0];
  if (!success) throw new Error(`${operation.operationId}: no success answer.`);
  const schema = success[1].content?.['application/json']?.schema;
  if (!schema) return { output: 'empty', outputSchema: { type: 'object', properties: {}, additionalProperties: false } };
  const resolved = inlineTop(schema, document);
  const variants = variantsOf(resolved);
  const isObject = resolved.type === 'object' || variants?.every((v) => inlineTop(v, document).type === 'object');
  // A named answer stays a reference (several tools answer a Campaign); `type` says it is an object, as MCP requires.
  if (isObject) return { output: 'object', outputSchema: typeof schema.$ref === 'string' ? { type: 'object', $ref: schema.$ref } : { type: 'object', ...resolved } };
  return { output: 'wrapped', outputSchema: { type: 'object', properties: { result: schema }, required: ['result'], additionalProperties: false } };
}

/** The scopes (of team keys, of inbox keys) that pass the route's access rule. */
function accessOf(route: RouteDefinition): Pick<Operation, 'scopes' | 'inboxScopes'> {
  const { access } = route;
  if (access === 'public' || access === 'root') throw new Error(`${route.id}: tools call team routes only.`);
  const granting = (required: Scope | 'any') => SCOPES.filter((scope) => required === 'any' || hasScope([scope], required));
  return { scopes: granting(access.scope), inboxScopes: access.inboxKeys ? granting(access.inboxScope ?? access.scope) : null };
}

/** Names of the components a schema refers to, and the ones those refer to. */
function referencedDefs(schema: JsonSchema, components: Record<string, JsonSchema>): string[] {
  const found = new Set<string>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && !found.has(value)) {
        found.add(value);
        visit(components[value.slice(DEF_REF.length)]);
      } else visit(value);
    }
  };
  visit(schema);
  return [...found].map((ref) => ref.slice(DEF_REF.length)).sort();
}

/** A schema part shorter than this (as JSON) stays where it is even when it repeats: sharing it saves next to nothing. */
const MIN_SHARED_LENGTH = 40;

/**
 * Writes the schemas as TypeScript with every part that repeats (an address field, a cursor, a timestamp)
 * declared once as a constant that its places refer to: the objects, and so the JSON Schema agents read, stay
 * the same, but the POST /mcp bundle carries each part once. Returns the declarations and a `serialize` that
 * writes any value, its schema parts by name.
 */
function shareRepeatedParts(roots: readonly JsonSchema[]): { declarations: string; serialize: (value: unknown) => string } {
  const jsonOf = new Map<object, string>();
  const index = (node: unknown) => {
    if (!node || typeof node !== 'object' || jsonOf.has(node)) return;
    jsonOf.set(node, JSON.stringify(node));
    Object.values(node).forEach(index);
  };
  roots.forEach(index);
  const occurrences = new Map<string, object[]>();
  for (const [node, json] of jsonOf) if (json.length >= MIN_SHARED_LENGTH) occurrences.set(json, [...(occurrences.get(json) ?? []), node]);
  const repeated = new Set([...occurrences].filter(([, nodes]) => nodes.length > 1).map(([json]) => json));
  // A part that repeats only inside one shared part (every field of a repeated address) is left in that part.
  const references = new Map<string, number>();
  const countReferences = (node: unknown, declared: boolean) => {
    if (!node || typeof node !== 'object') return;
    const json = jsonOf.get(node)!;
    if (!declared && repeated.has(json)) return void references.set(json, (references.get(json) ?? 0) + 1);
    for (const child of Object.values(node)) countReferences(child, false);
  };
  roots.forEach((root) => countReferences(root, false));
  for (const json of repeated) countReferences(occurrences.get(json)![0], true);
  // Shortest first: a part refers only to shorter ones, so each is declared before it is used.
  const shared = [...repeated].filter((json) => references.get(json)! > 1).sort((a, b) => a.length - b.length);
  const names = new Map(shared.map((json, i) => [json, `shared${i}`]));
  const serializeAs = (value: unknown, self?: object) =>
    JSON.stringify(
      value,
      (_key, node: unknown) => {
        const name = node && typeof node === 'object' && node !== self ? names.get(jsonOf.get(node)!) : undefined;
        return name ? `\u0000${name}\u0000` : node;
      },
      2,
    ).replace(/"\\u0000(shared\d+)\\u0000"/g, '$1');
  const declarations = shared.map((json) => {
    const node = occurrences.get(json)![0]!;
    return `const ${names.get(json)} = ${serializeAs(node, node)};`;
  });
  return { declarations: declarations.join('\n'), serialize: (value) => serializeAs(value) };
}

/** What generated/operations.ts holds: the operations the tools call and the schemas they refer to. */
export function mcpOperations(document: OpenApiDocument): { schemas: Record<string, JsonSchema>; operations: Record<string, Operation> } {
  const byId = new Map<string, { path: string; method: string; operation: OpenApiOperation }>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) byId.set(operation.operationId, { path, method: method.toUpperCase(), operation });
  }
  const components = toToolSchema(document.components.schemas);
  const operations: Record<string, Operation> = {};
  for (const operationId of [...new Set(TOOLS.map((tool) => tool.operationId))].sort()) {
    const found = byId.get(operationId);
    const route = (ROUTES as readonly RouteDefinition[]).find((r) => r.id === operationId);
    if (!found || !route) throw new Error(`A tool calls ${operationId}, which is not in the OpenAPI document.`);
    const { operation } = found;
    const input = toToolSchema(inputsOf(operation, document));
    const output = toToolSchema(outputOf(operation, document));
    operations[operationId] = {
      method: route.method,
      path: route.path,
      summary: operation.summary,
      ...(operation.description && { description: operation.description }),
      idempotent: route.idempotent === true,
      ...accessOf(route),
      ...input,
      ...output,
      inputDefs: referencedDefs(input.inputSchema, components),
      outputDefs: referencedDefs(output.outputSchema, components),
    };
  }
  const used = [...new Set(Object.values(operations).flatMap((o) => [...o.inputDefs, ...o.outputDefs]))].sort();
  return { schemas: Object.fromEntries(used.map((name) => [name, components[name]!])), operations };
}

export function renderMcpOperations(document: OpenApiDocument): string {
  const { schemas, operations } = mcpOperations(document);
  const { declarations, serialize } = shareRepeatedParts([
    ...Object.values(schemas),
    ...Object.values(operations).flatMap((operation) => [operation.inputSchema, operation.outputSchema]),
  ]);
  return [
    '// Generated by scripts/generate-mcp.ts from the OpenAPI document. Do not edit: run `npm run generate`.',
    "import type { JsonSchema, Operation } from '../operation.js';",
    '',
    '/** The package version the server reports (packages/mcp/package.json). */',
    `export const MCP_VERSION = ${JSON.stringify(MCP_PACKAGE.version)};`,
    '',
    '// Schema parts that occur more than once, each written once here.',
    declarations,
    '',
    '/** The schemas the operations refer to as `#/$defs/<name>`. */',
    `export const SCHEMAS: Record<string, JsonSchema> = ${serialize(schemas)};`,
    '',
    '/** The API operations the tools call, by operation id. */',
    `export const OPERATIONS: Record<string, Operation> = ${serialize(operations)};`,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(MCP_OPERATIONS_FILE, renderMcpOperations(buildOpenApiDocument({ version: '0.0.0' })));
}
