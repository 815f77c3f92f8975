import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'rag-app',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // A directory for this run's PGlite store templates (test/support/pglite-templates.ts).
    globalSetup: ['test/support/global-setup.ts'],
  },
});
