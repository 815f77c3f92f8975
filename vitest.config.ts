import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['kit', 'forge', 'rag-app', 'evals', 'factory'],
    // vitest's default on 2 cores is one worker, but most of our slow files wait on child processes
    // (git, pnpm, tsx, PostgreSQL): two workers took the suite from ~670 s to 476 s on 2 cores.
    maxWorkers: 2,
  },
});
