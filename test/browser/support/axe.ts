import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Impacts that fail the suite. Moderate and minor findings are reported, not fatal. */
const FATAL = new Set(['serious', 'critical']);

export type AxeFinding = {
  id: string;
  impact: string;
  help: string;
  helpUrl: string;
  nodes: { target: string; html: string; summary: string }[];
};

export type AxeResult = { url: string; label: string; fatal: AxeFinding[]; other: AxeFinding[] };

// Runs inside the page. Written as a string because the project's TypeScript has no DOM types.
// axe files text whose contrast it computes as 1:1 under "incomplete" (it might be deliberately
// hidden), so white-on-white buttons never show up as violations. Incomplete colour-contrast
// results that carry a measured ratio are returned too and judged in auditPage.
const RUN_AXE = `axe.run(document, { resultTypes: ['violations', 'incomplete'] }).then((r) => {
  const shape = (v, nodes) => ({
    id: v.id, impact: v.impact || 'unknown', help: v.help, helpUrl: v.helpUrl,
    nodes: nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 200),
      summary: (n.failureSummary || n.any.map((a) => a.message).join(' ')).slice(0, 300) })),
  });
  const measured = (n) => n.any.some((a) => a.data && typeof a.data.contrastRatio === 'number' && a.data.contrastRatio > 0 && a.data.contrastRatio < (parseFloat(a.data.expectedContrastRatio) || 4.5));
  const contrast = r.incomplete.filter((v) => v.id === 'color-contrast').map((v) => ({ ...shape(v, v.nodes.filter(measured)), id: 'color-contrast (axe: needs review)' })).filter((v) => v.nodes.length);
  return r.violations.map((v) => shape(v, v.nodes)).concat(contrast);
})`;

/**
 * Injects axe-core and audits the page as rendered. The source is evaluated through the
 * DevTools protocol (indirect eval inside page.evaluate), which is not subject to the page's CSP:
 * the app keeps its strict `script-src 'self'` and no context needs bypassCSP.
 */
async function runAxe(page: Page): Promise<AxeFinding[]> {
  await page.evaluate(`typeof axe === 'object' || (0, eval)(${JSON.stringify(AXE_SOURCE)}), true`);
  return (await page.evaluate(RUN_AXE)) as AxeFinding[];
}

/**
 * Chromium cannot run axe in a context with JavaScript disabled (its scheduler is off and the
 * renderer stops). So a no-JS page is audited from a snapshot: the exact DOM the no-JS browser
 * rendered, served at the same URL with the app's own CSP header into a scratch context where
 * scripts are blocked (the DOM stays the no-JS DOM) and <noscript> content is shown as it was.
 */
async function runAxeOnSnapshot(browser: Browser, page: Page, csp: string | undefined): Promise<AxeFinding[]> {
  const url = page.url();
  const html = (await page.content()).replace(/<noscript>/gi, '<div data-noscript="">').replace(/<\/noscript>/gi, '</div>');
  const context = await browser.newContext({ javaScriptEnabled: true, viewport: page.viewportSize() ?? undefined });
  try {
    await context.route('**/*', async (route) => {
      const request = route.request();
      if (request.isNavigationRequest() && request.url() === url) {
        await route.fulfill({
          status: 200,
          contentType: 'text/html; charset=utf-8',
          body: html,
          headers: csp ? { 'content-security-policy': csp } : {},
        });
      } else if (request.resourceType() === 'script') {
        await route.abort();
      } else {
        await route.continue();
      }
    });
    const scratch = await context.newPage();
    await scratch.goto(url, { waitUntil: 'load' });
    return await runAxe(scratch);
  } finally {
    await context.close();
  }
}

export async function auditPage(
  browser: Browser,
  page: Page,
  opts: { label: string; javaScriptEnabled: boolean; csp: string | undefined },
): Promise<AxeResult> {
  const findings = opts.javaScriptEnabled ? await runAxe(page) : await runAxeOnSnapshot(browser, page, opts.csp);
  return {
    url: page.url(),
    label: opts.label,
    fatal: findings.filter((f) => FATAL.has(f.impact)),
    other: findings.filter((f) => !FATAL.has(f.impact)),
  };
}

/** A readable failure message: rule, impact, help link, and the offending elements. */
export function formatFindings(result: AxeResult, findings: AxeFinding[]): string {
  const lines = [`axe: ${findings.length} serious/critical violation(s) on "${result.label}" (${new URL(result.url).pathname})`];
  for (const f of findings) {
    lines.push(`  [${f.impact}] ${f.id}: ${f.help}`, `    ${f.helpUrl}`);
    for (const n of f.nodes) lines.push(`    at ${n.target}`, `       ${n.html}`, `       ${n.summary.replace(/\n/g, ' ')}`);
  }
  return lines.join('\n');
}
