import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Page, Response } from 'playwright-core';
import { DESKTOP, PHONE, newContext, type Mode } from './chromium.js';
import { auditPage, formatFindings } from './axe.js';
import { recordAudit } from './audit-log.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SCREENSHOT_DIR = path.join(ROOT, 'docs/screenshots');

/**
 * One person's browser: a context in one mode (JavaScript on or off) and its page. Every page the
 * walk lands on goes through `check()`, which asserts the response was not a server error, runs
 * axe-core and, when asked, saves screenshots. `finish()` fails the test if any page load was
 * never checked, so "axe on every page visited" cannot quietly become "axe on some pages".
 */
export class BrowserSession {
  readonly page: Page;
  private loads = 0;
  private checkedLoads = new Set<number>();
  private lastDocument: Response | null = null;
  private readonly problems: string[] = [];

  private constructor(
    private readonly browser: Browser,
    readonly mode: Mode,
    readonly context: BrowserContext,
    page: Page,
  ) {
    this.page = page;
    page.on('load', () => {
      this.loads += 1;
    });
    page.on('response', (response) => {
      if (response.request().isNavigationRequest()) {
        if (response.frame() === page.mainFrame()) this.lastDocument = response;
      } else if (response.status() >= 400) {
        // A missing stylesheet, script or image is a broken page even when the document is fine.
        this.problems.push(`${response.status()} for ${response.request().resourceType()} ${new URL(response.url()).pathname} on ${page.url()}`);
      }
    });
    // A CSP violation or a script error means an enhancement is broken for real users. Chromium
    // also logs every 4xx document as "Failed to load resource"; statuses are checked above.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        this.problems.push(`console error on ${page.url()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => this.problems.push(`uncaught script error on ${page.url()}: ${error.message}`));
  }

  static async open(browser: Browser, mode: Mode, options: BrowserContextOptions = {}): Promise<BrowserSession> {
    const context = await newContext(browser, mode, options);
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    return new BrowserSession(browser, mode, context, page);
  }

  get js(): boolean {
    return this.mode.javaScriptEnabled;
  }

  /** Status of the last top-level document the browser received. */
  get status(): number | undefined {
    return this.lastDocument?.status();
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url, { waitUntil: 'load' });
  }

  /** Runs an action that leads to a new page (a link, a form submit) and waits until it has loaded. */
  async navigate(action: () => Promise<unknown>): Promise<void> {
    const loaded = this.page.waitForEvent('load');
    loaded.catch(() => {}); // if the action fails, its error is the one worth reporting
    await action();
    await loaded;
  }

  /**
   * Checks the page the browser is on now: no 5xx (or exactly `status` when given), no serious
   * or critical axe violation; saves `<screenshot>-desktop.png` and `-phone.png` when named
   * (from the JavaScript-on walk only, so the two walks do not overwrite each other).
   */
  async check(label: string, opts: { status?: number; screenshot?: string } = {}): Promise<void> {
    await this.page.waitForLoadState('load');
    const status = this.status;
    if (opts.status !== undefined) expect(status, `HTTP status of "${label}"`).toBe(opts.status);
    else expect(status ?? 200, `HTTP status of "${label}" (${this.page.url()})`).toBeLessThan(500);

    const csp = this.lastDocument ? await this.lastDocument.headerValue('content-security-policy') : null;
    const result = await auditPage(this.browser, this.page, { label: `${label} [${this.mode.name}]`, javaScriptEnabled: this.js, csp: csp ?? undefined });
    recordAudit(result);
    this.checkedLoads.add(this.loads);
    expect(result.fatal, formatFindings(result, result.fatal)).toEqual([]);

    if (opts.screenshot && this.js) await this.screenshot(opts.screenshot);
  }

  /** Desktop (1280×800) and phone (390×844) screenshots of the current page. */
  async screenshot(name: string): Promise<void> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const original = this.page.viewportSize() ?? DESKTOP;
    for (const [suffix, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      await this.page.setViewportSize(size);
      await this.page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-${suffix}.png`), animations: 'disabled' });
    }
    await this.page.setViewportSize(original);
  }

  /** Fails if a page load went unchecked or the page logged errors; then closes the context. */
  async finish(): Promise<void> {
    try {
      const unchecked = [];
      for (let load = 1; load <= this.loads; load++) if (!this.checkedLoads.has(load)) unchecked.push(load);
      expect(unchecked, `page loads never checked with axe (of ${this.loads})`).toEqual([]);
      expect(this.problems).toEqual([]);
    } finally {
      await this.context.close();
    }
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {});
  }
}
