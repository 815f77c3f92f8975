import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'rag-app',
    include: ['test/**/*.test.ts'],
    // Files share their worker's modules (PGlite's compiled WASM, the parsed sources): 22 small
    // rag-app files took 51 s isolated, 30 s not. Tests leave no state behind (no mocks, env restored).
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // A directory for this run's PGlite store templates (test/support/pglite-templates.ts).
    globalSetup: ['test/support/global-setup.ts'],
  },
});
