import { defineConfig } from 'vitest/config';

// One suite, two databases: with DATABASE_URL set every test file gets its own
// PostgreSQL database; without it, its own in-memory PGlite instance.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/http/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
