import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/integration/setup-build.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Each file starts its own Prometheus, Alertmanager and exporter; run them one at a time.
    fileParallelism: false,
  },
});
