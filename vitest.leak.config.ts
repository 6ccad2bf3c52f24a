import { defineConfig } from 'vitest/config';

// The leak test over the whole product: the real server as a child process, every flow walked
// with canaries, then pg_dump (with DATABASE_URL), the logs and the embedded data directory
// searched. The tests of a file depend on each other (walk, then scan), so they run in order.
export default defineConfig({
  test: {
    include: ['test/leak/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 300_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
