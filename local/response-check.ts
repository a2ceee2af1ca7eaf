/**
 * Holds every answer of the local API to the OpenAPI document it publishes: on (MAILROOM_CHECK_RESPONSES=true,
 * as in the tests) a status the route does not declare, or a body that does not match its declared schema
 * (undeclared fields included), becomes a 500 `response_contract_violation` naming the route and the field.
 * So the whole integration suite keeps the document, the SDK types and the MCP output schemas honest.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildOpenApiDocument, openApiPath, type OpenApiDocument } from '../functions/domain/openapi.js';
import type { RouteDefinition } from '../lib/routes.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const DOCUMENT_ID = 'mailroom-openapi.json';

export type ResponseCheck = (route: RouteDefinition | undefined, result: APIGatewayProxyStructuredResultV2) => string | undefined;

export function createResponseCheck(): ResponseCheck {
  const document: OpenApiDocument = buildOpenApiDocument({ version: 'check' });
  const ajv = new Ajv2020({ strict: false, allErrors: true, inlineRefs: false });
  addFormats(ajv);
  ajv.addSchema({ $id: DOCUMENT_ID, components: document.components }, DOCUMENT_ID);
  const validators = new Map<string, ValidateFunction>();
  const validator = (key: string, schema: Record<string, unknown>) => {
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`)));
      validators.set(key, validate);
    }
    return validate;
  };

  return (route, result) => {
    const status = result.statusCode ?? 200;
    const body = result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
    const contentType = Object.entries(result.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
    const where = route ? `${route.id} ${status}` : `unmatched route ${status}`;
    const declared = route ? document.paths[openApiPath(route)]?.[route.method.toLowerCase()]?.responses[String(status)] : status >= 400 ? { description: '', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } : undefined;
    if (!declared) return `${where}: the status is not declared in the OpenAPI document.`;
    const declaredTypes = Object.keys(declared.content ?? {});
    if (!declaredTypes.length) return body ? `${where}: declared without a body, but answered one.` : undefined;
    const declaredType = declaredTypes.find((type) => String(contentType ?? '').startsWith(type));
    if (!declaredType) return `${where}: answered ${contentType ?? 'no content type'}, declared ${declaredTypes.join(' or ')}.`;
    const media = declared.content![declaredType];
    if (declaredType !== 'application/json' || !media || route?.id === 'reference.openapi') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body ?? '');
    } catch {
      return `${where}: the body is not JSON.`;
    }
    const validate = validator(`${route?.id}:${status}`, media.schema);
    if (validate(parsed)) return undefined;
    return `${where}: ${(validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}${e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : ''}`).join('; ')}`;
  };
}
