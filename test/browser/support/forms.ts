import type { Locator, Page } from 'playwright-core';
import { zh } from './text.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The control whose label starts with the catalogue text of `key` — labels may go on with
 * "(选填)" or a nested hint, so the match is anchored at the start rather than exact.
 */
export function field(scope: Page | Locator, key: string, vars?: Record<string, unknown>): Locator {
  return scope.getByLabel(new RegExp(`^\\s*${escape(zh(key, vars))}(\\s|$|（|\\()`));
}

export function button(scope: Page | Locator, key: string): Locator {
  return scope.getByRole('button', { name: zh(key), exact: true });
}

export function link(scope: Page | Locator, key: string): Locator {
  return scope.getByRole('link', { name: zh(key), exact: true });
}

/** Presses Tab until `target` has focus (as a keyboard user would), failing after `max` presses. */
export async function tabTo(page: Page, target: Locator, max = 250): Promise<number> {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === el.ownerDocument.activeElement)) return presses;
  }
  throw new Error(`could not reach ${target.toString()} with ${max} presses of Tab`);
}
