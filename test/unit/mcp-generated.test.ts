/** The MCP tools' generated schemas match the OpenAPI document: after an API change, `npm run generate`. */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../functions/domain/openapi.js';
import { MCP_OPERATIONS_FILE, renderMcpOperations } from '../../scripts/generate-mcp.js';

it('packages/mcp/src/generated/operations.ts is up to date (npm run generate)', async () => {
  const committed = await readFile(MCP_OPERATIONS_FILE, 'utf8');
  expect(committed).toBe(renderMcpOperations(buildOpenApiDocument({ version: '0.0.0' })));
});
