import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    globalSetup: ['test/integration/setup-build.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The integration tests each start HTTPS servers and child processes; two cores is all we get.
    maxWorkers: 2,
  },
});
