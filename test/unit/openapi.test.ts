import { describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROUTES, handlerFile, type RouteDefinition, type RouteId } from '../../lib/routes.js';
import { API_ROUTES } from '../../functions/schemas/api.js';
import { buildOpenApiDocument, errorCodesOf, openApiPath } from '../../functions/domain/openapi.js';
import { renderLlmsText, renderReferenceHtml } from '../../functions/domain/api-reference.js';
import type { RouteContract } from '../../functions/schemas/contract.js';
import type { InputSchemas } from '../../functions/shared/http/request.js';
import { ERROR_STATUS } from '../../functions/shared/errors.js';

const routes = ROUTES as readonly RouteDefinition[];
const contracts: Record<string, RouteContract> = API_ROUTES;
const document = buildOpenApiDocument({ version: 'test', serverUrl: 'https://api.example.com' });

describe('OpenAPI document', () => {
  it('validates against the OpenAPI 3.1 schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has every route of the table, once, under its id', () => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`));
    expect(operations.sort()).toEqual(routes.map((r) => `${r.method} ${openApiPath(r)} ${r.id}`).sort());
  });

  it('declares every path parameter, success answer and error status of each route', () => {
    for (const route of routes) {
      const op = document.paths[openApiPath(route)]![route.method.toLowerCase()]!;
      const pathNames = [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]);
      expect(op.parameters.filter((p) => p.in === 'path').map((p) => p.name), route.id).toEqual(pathNames);
      expect(Object.keys(op.responses).some((status) => Number(status) < 400), route.id).toBe(true);
      for (const code of errorCodesOf(route, contracts[route.id]!)) expect(op.responses[String(ERROR_STATUS[code])], `${route.id} ${code}`).toBeDefined();
      if (route.access === 'public') expect(op.security).toEqual([]);
      if (route.idempotent) expect(op.parameters.some((p) => p.name === 'Idempotency-Key')).toBe(true);
    }
  });

  it('holds only valid JSON Schema 2020-12, with every reference resolvable', () => {
    const schemas: unknown[] = [];
    for (const methods of Object.values(document.paths)) {
      for (const op of Object.values(methods)) {
        schemas.push(...op.parameters.map((p) => p.schema), op.requestBody?.content['application/json']?.schema);
        for (const response of Object.values(op.responses)) schemas.push(...Object.values(response.content ?? {}).map((m) => m.schema));
      }
    }
    schemas.push(...Object.values(document.components.schemas));
    const ajv = new Ajv2020({ strict: false });
    for (const schema of schemas.filter(Boolean)) expect(ajv.validateSchema(schema as object), JSON.stringify(ajv.errors)).toBe(true);
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((ref) => !ref.startsWith('#/components/schemas/') || !document.components.schemas[ref.slice('#/components/schemas/'.length)])).toEqual([]);
  });

  it('is built from the same schema objects the handlers validate with', async () => {
    for (const route of routes) {
      const { handler } = (await import(`../../${handlerFile(route)}`)) as { handler: { inputSchemas: InputSchemas } };
      const contract = contracts[route.id as RouteId]!;
      for (const part of ['params', 'query', 'body'] as const) {
        expect(contract[part], `${route.id} ${part}`).toBe(handler.inputSchemas[part]);
      }
    }
  });
});

describe('readable references', () => {
  const llms = renderLlmsText(document);
  const html = renderReferenceHtml(document);

  it('llms.txt lists every route with its summary and every body field', () => {
    for (const route of routes) {
      expect(llms).toContain(`### ${route.method} ${openApiPath(route)} — ${contracts[route.id]!.summary}`);
    }
    expect(llms).toMatch(/### POST \/v1\/emails — [^\n]+\n[\s\S]*?- subject \(/);
  });

  it('/docs has a section per operation and per schema, and no script', () => {
    for (const route of routes) expect(html).toContain(`<code>${openApiPath(route)}</code>`);
    for (const name of Object.keys(document.components.schemas)) expect(html).toContain(`<h3>${name}</h3>`);
    expect(html).not.toMatch(/<script/i);
  });
});
