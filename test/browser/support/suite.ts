import { afterAll, beforeAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, type Mode } from './chromium.js';
import { startApp, type RunningApp } from './app-server.js';
import { BrowserSession } from './session.js';
import { createTestReviewer } from '../../helpers/reports.js';

export type BrowserSuite = {
  readonly app: RunningApp;
  readonly browser: Browser;
  /** A fresh browser context (its own cookies) in the given mode. */
  session(mode: Mode, options?: Parameters<typeof BrowserSession.open>[2]): Promise<BrowserSession>;
};

/**
 * One app and one Chromium per test file, started before its tests and stopped after.
 * `withReviewer`: an enrolled reviewer exists from the start, as on any installation that is open
 * to reports (a report nobody could read is refused).
 */
export function useBrowserSuite(env: Record<string, string> = {}, opts: { withReviewer?: boolean } = {}): BrowserSuite {
  let app: RunningApp | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(env), launchChromium()]);
    if (opts.withReviewer) await createTestReviewer(app);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  const need = <T>(value: T | undefined, what: string): T => {
    if (!value) throw new Error(`${what} not started`);
    return value;
  };
  return {
    get app() {
      return need(app, 'app');
    },
    get browser() {
      return need(browser, 'browser');
    },
    session: (mode, options) => BrowserSession.open(need(browser, 'browser'), mode, options),
  };
}
