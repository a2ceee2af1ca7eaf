/** The CLI's generated query parameters match the OpenAPI document: after an API change, `npm run generate`. */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../functions/domain/openapi.js';
import { CLI_QUERY_PARAMETERS_FILE, renderCliQueryParameters } from '../../scripts/generate-cli.js';

it('packages/cli/src/generated/query-parameters.ts is up to date (npm run generate)', async () => {
  const committed = await readFile(CLI_QUERY_PARAMETERS_FILE, 'utf8');
  expect(committed).toBe(renderCliQueryParameters(buildOpenApiDocument({ version: '0.0.0' })));
});
