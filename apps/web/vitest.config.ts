import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts', 'src/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '../../.test-results/web.json' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
