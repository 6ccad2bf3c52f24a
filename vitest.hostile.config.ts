import { defineConfig } from 'vitest/config';

// Hostile input against the real server as a child process: cut, malformed, oversized, slow and
// abandoned multipart bodies on every file route. PostgreSQL only (DATABASE_URL), so the test can
// look for unfinished attachment rows while the server runs.
export default defineConfig({
  test: {
    include: ['test/hostile/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
