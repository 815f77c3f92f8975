import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['forge', 'rag-app', 'evals', 'factory'],
  },
});
