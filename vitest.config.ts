import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['rag-app', 'evals', 'factory'],
  },
});
