/** The MCP tools' generated schemas match the OpenAPI document: after an API change, `npm run generate`. */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../functions/domain/openapi.js';
import { MCP_OPERATIONS_FILE, mcpOperations, renderMcpOperations } from '../../scripts/generate-mcp.js';
import { OPERATIONS, SCHEMAS } from '../../packages/mcp/src/generated/operations.js';

const document = buildOpenApiDocument({ version: '0.0.0' });

it('packages/mcp/src/generated/operations.ts is up to date (npm run generate)', async () => {
  const committed = await readFile(MCP_OPERATIONS_FILE, 'utf8');
  expect(committed).toBe(renderMcpOperations(document));
});

it('writing repeated schema parts once leaves every schema as generated', () => {
  const { schemas, operations } = mcpOperations(document);
  expect(JSON.stringify(SCHEMAS)).toBe(JSON.stringify(schemas));
  expect(JSON.stringify(OPERATIONS)).toBe(JSON.stringify(operations));
  expect(renderMcpOperations(document)).toMatch(/^const shared\d+ = /m);
});
