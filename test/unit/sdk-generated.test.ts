/** The SDK's generated files match the OpenAPI document: after an API change, `npm run generate`. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { renderSdk, SDK_GENERATED_FILES } from '../../scripts/generate-sdk.js';

/** The first line where two texts differ, as `line N: <committed> → <fresh>` (a full diff of 14,000 lines would bury it). */
function firstDifference(committed: string, fresh: string): string | undefined {
  const a = committed.split('\n');
  const b = fresh.split('\n');
  const index = a.findIndex((line, i) => line !== b[i]);
  if (index === -1 && a.length === b.length) return undefined;
  const at = index === -1 ? a.length : index;
  return `line ${at + 1}: ${JSON.stringify(a[at] ?? '<end>')} → ${JSON.stringify(b[at] ?? '<end>')}`;
}

it('packages/sdk/src/generated is up to date (npm run generate)', async () => {
  const fresh = await renderSdk();
  for (const file of SDK_GENERATED_FILES) {
    const committed = await readFile(join('packages/sdk', file), 'utf8');
    expect(firstDifference(committed, fresh[file]), `packages/sdk/${file} is stale: run npm run generate`).toBeUndefined();
  }
});
