import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'kit',
    include: ['test/**/*.test.ts'],
  },
});
