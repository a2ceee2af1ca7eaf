import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages resolve to their TypeScript source (the "mailroom-source" export condition of
  // packages/*/package.json), not to a dist that may not be built. The others are vitest's defaults (no
  // "module": that would pick bundler-only builds, e.g. the AWS SDK's dist-es, that Node cannot load).
  ssr: { resolve: { conditions: ['mailroom-source', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // The fault tests have a run of their own: npm run test:faults (test/faults/vitest.config.ts).
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    globalSetup: ['test/setup/global-setup.ts'],
    setupFiles: ['test/setup/worker-env.ts'],
    pool: 'forks',
    // Integration files mostly wait on queues and timers, so two at a time fit two cores; each worker has its
    // own stack in the shared emulators (test/support/worker-stack.ts), so the files do not see each other's work.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
  },
});
