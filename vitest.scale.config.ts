import { defineConfig } from 'vitest/config';

// Scale-out: two compiled app instances on one PostgreSQL behind Debian's haproxy, started by the
// test. PostgreSQL only (DATABASE_URL); one file, run on its own.
export default defineConfig({
  test: {
    include: ['test/scale/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 240_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
