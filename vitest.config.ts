import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Native modules (better-sqlite3, llama.cpp) are safest in forked processes.
    pool: 'forks',
    // On CI (2 busy cores) a test that fails once from timing is retried once; the report still shows it.
    retry: process.env.CI ? 1 : 0,
  },
});
