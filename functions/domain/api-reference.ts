/**
 * Readable forms of the OpenAPI document: the /docs HTML reference and /llms.txt for coding agents.
 * Both walk the generated document, so they list exactly what the API serves.
 */
import { escapeHtml } from '../shared/http/html-page.js';
import type { OpenApiDocument, OpenApiOperation } from './openapi.js';

type JsonSchema = Record<string, unknown>;

interface Field {
  name: string;
  type: string;
  required: boolean;
  description?: string;
}

const componentName = (ref: string) => ref.replace('#/components/schemas/', '');

/** A short type expression: `string`, `Email[]`, `"a" | "b"`, `string | null`. */
export function typeText(schema: JsonSchema | undefined): string {
  if (!schema || Object.keys(schema).length === 0) return 'any';
  if (typeof schema.$ref === 'string') return componentName(schema.$ref);
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) return [...new Set(union.map(typeText))].join(' | ');
  if (Array.isArray(schema.allOf)) return (schema.allOf as JsonSchema[]).map(typeText).join(' & ');
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : schema.type ? [schema.type as string] : [];
  const text = types.map((type) => {
    if (type === 'array') return `${wrap(typeText(schema.items as JsonSchema))}[]`;
    if (type === 'object' && !schema.properties && schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      return `Record<string, ${typeText(schema.additionalProperties as JsonSchema)}>`;
    }
    return type === 'integer' ? 'integer' : type;
  });
  return text.join(' | ') || 'any';
}

const wrap = (text: string) => (text.includes(' | ') ? `(${text})` : text);

/** The fields of an object schema (following a top-level $ref), or none for anything else. */
export function fieldsOf(document: OpenApiDocument, schema: JsonSchema | undefined): Field[] {
  const resolved = resolve(document, schema);
  const properties = resolved?.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return [];
  const required = new Set((resolved!.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    type: typeText(property),
    required: required.has(name),
    ...(typeof property.description === 'string' && { description: property.description }),
  }));
}

function resolve(document: OpenApiDocument, schema: JsonSchema | undefined): JsonSchema | undefined {
  if (schema && typeof schema.$ref === 'string') return document.components.schemas[componentName(schema.$ref)];
  return schema;
}

export interface OperationView {
  method: string;
  path: string;
  operation: OpenApiOperation;
}

export function operationsByTag(document: OpenApiDocument): Map<string, OperationView[]> {
  const byTag = new Map<string, OperationView[]>(document.tags.map((tag) => [tag.name, []]));
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) byTag.get(operation.tags[0]!)!.push({ method: method.toUpperCase(), path, operation });
  }
  return byTag;
}

const bodySchema = (operation: OpenApiOperation) => operation.requestBody?.content['application/json']?.schema;

function successes(operation: OpenApiOperation) {
  return Object.entries(operation.responses)
    .filter(([status]) => Number(status) < 400)
    .map(([status, response]) => {
      const [contentType, media] = Object.entries(response.content ?? {})[0] ?? [];
      const what = !contentType ? 'no body' : contentType === 'application/json' ? typeText(media!.schema) : `${contentType} (${response.description})`;
      return { status, what };
    });
}

const errorsText = (operation: OpenApiOperation) =>
  Object.entries(operation.responses)
    .filter(([status]) => Number(status) >= 400)
    .map(([status, response]) => `${status} ${response.description.replace(/`/g, '')}`)
    .join('; ');

const fieldLine = (field: Field) => `${field.name} (${field.type}${field.required ? ', required' : ''})${field.description ? ` — ${field.description}` : ''}`;

/** /llms.txt: every operation and every named schema, as plain text. */
export function renderLlmsText(document: OpenApiDocument): string {
  const lines: string[] = [`# ${document.info.title} ${document.info.version}`, '', document.info.description, ''];
  lines.push(`Base URL: ${document.servers[0]!.url}`, 'OpenAPI: /openapi.json · Reference: /docs', '');
  for (const [tag, operations] of operationsByTag(document)) {
    lines.push(`## ${tag}`, '');
    for (const { method, path, operation } of operations) {
      lines.push(`### ${method} ${path} — ${operation.summary}`, `Operation: ${operation.operationId}. Access: ${operation['x-mailroom-access']}`);
      if (operation.description) lines.push(operation.description);
      for (const where of ['path', 'query', 'header'] as const) {
        const params = operation.parameters.filter((p) => p.in === where);
        if (params.length) lines.push(`${where === 'path' ? 'Path' : where === 'query' ? 'Query' : 'Headers'}:`, ...params.map((p) => `- ${fieldLine({ name: p.name, type: typeText(p.schema), required: p.required, description: p.description })}`));
      }
      const body = bodySchema(operation);
      if (body) {
        const fields = fieldsOf(document, body);
        lines.push(`Body (JSON${operation.requestBody!.required ? '' : ', optional'}): ${typeText(body)}`, ...fields.map((f) => `- ${fieldLine(f)}`));
      }
      for (const { status, what } of successes(operation)) lines.push(`Returns ${status}: ${what}`);
      lines.push(`Errors: ${errorsText(operation)}`, '');
    }
  }
  lines.push('## Schemas', '');
  for (const [name, schema] of Object.entries(document.components.schemas)) {
    const fields = fieldsOf(document, schema);
    lines.push(`### ${name}${fields.length ? '' : `: ${typeText(schema)}`}`);
    if (typeof schema.description === 'string') lines.push(schema.description);
    lines.push(...fields.map((f) => `- ${fieldLine(f)}`), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
/** Markdown-ish inline code in descriptions, after escaping. */
const prose = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');

type Linker = (type: string) => string;

/** Escapes a type expression and links the component names in it to their section. */
const linkerFor = (document: OpenApiDocument): Linker => {
  const names = new Set(Object.keys(document.components.schemas));
  return (type) => escapeHtml(type).replace(/[A-Z][A-Za-z0-9]*/g, (name) => (names.has(name) ? `<a href="#schema-${slug(name)}">${name}</a>` : name));
};

function fieldTable(fields: Field[], schemaLinks: Linker): string {
  if (!fields.length) return '';
  const rows = fields
    .map((f) => `<tr><td><code>${escapeHtml(f.name)}</code>${f.required ? ' <span class="req">required</span>' : ''}</td><td><code>${schemaLinks(f.type)}</code></td><td>${prose(f.description ?? '')}</td></tr>`)
    .join('');
  return `<table><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** /docs: a self-contained page (no scripts, inline styles only, so it passes the API's strict CSP). */
export function renderReferenceHtml(document: OpenApiDocument): string {
  const schemaLinks = linkerFor(document);
  const groups = operationsByTag(document);
  const nav = [...groups]
    .map(([tag, ops]) => `<li><a href="#tag-${slug(tag)}">${escapeHtml(tag)}</a><ul>${ops.map(({ operation }) => `<li><a href="#op-${slug(operation.operationId)}">${escapeHtml(operation.summary)}</a></li>`).join('')}</ul></li>`)
    .join('');
  const sections = [...groups]
    .map(([tag, ops]) => {
      const body = ops
        .map(({ method, path, operation }) => {
          const params = operation.parameters.map((p) => ({ name: `${p.name} (${p.in})`, type: typeText(p.schema), required: p.required, description: p.description }));
          const requestBody = bodySchema(operation);
          const answers = successes(operation).map(({ status, what }) => `<li><strong>${status}</strong> <code>${schemaLinks(what)}</code></li>`).join('');
          return `<section id="op-${slug(operation.operationId)}" class="op">
<h3><span class="method ${method.toLowerCase()}">${method}</span> <code>${escapeHtml(path)}</code></h3>
<p class="summary">${escapeHtml(operation.summary)} <small>${escapeHtml(operation.operationId)}</small></p>
<p class="access">${prose(operation['x-mailroom-access'])}${operation['x-mailroom-idempotent'] ? ' Accepts <code>Idempotency-Key</code>.' : ''}</p>
${operation.description ? `<p>${prose(operation.description)}</p>` : ''}
${params.length ? `<h4>Parameters</h4>${fieldTable(params, schemaLinks)}` : ''}
${requestBody ? `<h4>Body <code>${schemaLinks(typeText(requestBody))}</code></h4>${fieldTable(fieldsOf(document, requestBody), schemaLinks)}` : ''}
<h4>Responses</h4><ul>${answers}</ul>
<p class="errors">Errors: ${escapeHtml(errorsText(operation))}</p>
</section>`;
        })
        .join('\n');
      return `<h2 id="tag-${slug(tag)}">${escapeHtml(tag)}</h2>\n${body}`;
    })
    .join('\n');
  const schemas = Object.entries(document.components.schemas)
    .map(([name, schema]) => {
      const fields = fieldsOf(document, schema);
      return `<section id="schema-${slug(name)}" class="schema"><h3>${escapeHtml(name)}</h3>${typeof schema.description === 'string' ? `<p>${prose(schema.description)}</p>` : ''}${fields.length ? fieldTable(fields, schemaLinks) : `<p><code>${schemaLinks(typeText(schema))}</code></p>`}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(document.info.title)} reference</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#1d1d1f;line-height:1.5;display:flex}
nav{width:18rem;flex:none;height:100vh;overflow:auto;position:sticky;top:0;border-right:1px solid #ddd;padding:1rem;font-size:.85rem;box-sizing:border-box}
nav ul{list-style:none;padding-left:.8rem;margin:.2rem 0}nav>ul{padding:0}
main{padding:1rem 2rem;max-width:60rem;min-width:0}
code{font-family:ui-monospace,monospace;font-size:.9em;background:#f3f3f5;padding:0 .2em;border-radius:3px}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}td,th{border-top:1px solid #e5e5e5;padding:.3rem .5rem;text-align:left;vertical-align:top}
.op,.schema{border-top:1px solid #ddd;padding-top:.5rem;margin-top:1.5rem}
.method{font-family:ui-monospace,monospace;font-size:.8em;padding:.1em .5em;border-radius:3px;color:#fff;background:#555}
.get{background:#2f7d32}.post{background:#1565c0}.patch,.put{background:#b26a00}.delete{background:#c62828}
.req{color:#c62828;font-size:.75rem}.summary small{color:#777}.errors,.access{color:#555;font-size:.9rem}
</style></head><body>
<nav><strong>${escapeHtml(document.info.title)}</strong> <small>${escapeHtml(document.info.version)}</small><ul>${nav}<li><a href="#schemas">Schemas</a></li></ul></nav>
<main><h1>${escapeHtml(document.info.title)}</h1>
<p>${prose(document.info.description).replace(/\n- /g, '<br>• ')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> · for coding agents: <a href="/llms.txt">/llms.txt</a></p>
${sections}
<h2 id="schemas">Schemas</h2>
${schemas}
</main></body></html>
`;
}
