/**
 * `npm run test:faults`: the fault tests (test/faults), on their own because they wait out timeouts, leases and
 * retries and restart emulators. Same emulators, setup and per-worker stacks as `npm test` (vitest.config.ts).
 */
import { resolve } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default defineConfig({
  ...base,
  root: resolve(import.meta.dirname, '..', '..'),
  test: {
    ...base.test,
    include: ['test/faults/**/*.test.ts'],
    exclude: configDefaults.exclude,
    testTimeout: 120_000,
  },
});
