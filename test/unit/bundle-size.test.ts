/**
 * A shared module that starts importing something heavy (a schema library, a parser) grows every function at once:
 * three functions bundled exactly as AppFunction bundles them catch that in seconds, where `npm run bench`
 * measures all of them. The smallest route stays small, and the hot send path and the largest stay under budget.
 */
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { APP_FUNCTION_BUNDLING, PROJECT_ROOT } from '../../lib/constructs/app-function.js';
import { esbuildOptions } from '../../scripts/bench/functions.js';

const KB = 1024;
const budgets: Record<string, number> = { 'functions/http/health/get.ts': 200 * KB, 'functions/http/emails/send.ts': 500 * KB, 'functions/http/lists/subscribe.ts': 500 * KB };

describe('function bundles', () => {
  it('stay within their budgets (minified, as deployed)', async () => {
    const { outExtension: _outExtension, ...options } = esbuildOptions(APP_FUNCTION_BUNDLING);
    const sizes = await Promise.all(
      Object.keys(budgets).map(async (entry) => {
        const result = await build({ ...options, absWorkingDir: PROJECT_ROOT, entryPoints: [entry], write: false, sourcemap: false });
        return [entry, result.outputFiles.reduce((sum, file) => sum + (file.path.endsWith('.map') ? 0 : file.contents.length), 0)] as const;
      }),
    );
    for (const [entry, bytes] of sizes) expect(bytes, `${entry}: ${(bytes / KB).toFixed(0)} KB`).toBeLessThanOrEqual(budgets[entry]);
  }, 60_000);
});
