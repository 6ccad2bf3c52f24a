import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';

/** Debian's Chromium; `.ci/run` installs it with apt when it is missing. CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Quiet, offline Chromium: no sandbox (CI containers run as root), no GPU, and none of the
 * background traffic (updates, sync, QUIC probes) that would make a run depend on the network.
 * Playwright gives every launch a fresh temporary --user-data-dir, so no profile state leaks
 * between runs.
 */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Install it with ` +
        '`apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk` ' +
        '(.ci/run does this) or set CHROMIUM_PATH.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS });
}

/** The two ways every public flow is walked. */
export type Mode = { readonly name: 'js' | 'nojs'; readonly javaScriptEnabled: boolean };
export const MODES: readonly Mode[] = [
  { name: 'js', javaScriptEnabled: true },
  { name: 'nojs', javaScriptEnabled: false },
];

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** A browser context as a Chinese-speaking reporter on a desktop would have it. */
export function newContext(browser: Browser, mode: Mode, extra: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({
    javaScriptEnabled: mode.javaScriptEnabled,
    viewport: DESKTOP,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...extra,
  });
}
