import { defineConfig } from 'vitest/config';

// Fault tests: the real server as a child process, killed with SIGKILL or cut off from a
// PostgreSQL that restarts. PostgreSQL only (DATABASE_URL); files run one after another because
// they load the two cores on purpose and measure what survives.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
