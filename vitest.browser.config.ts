import { defineConfig } from 'vitest/config';

// The browser suite: the real app on 127.0.0.1 driven by Debian's Chromium, every public flow
// with JavaScript on and off, axe-core on every page. One file at a time: each file starts its
// own app and browser, and this machine has two cores.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
