import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, MODES, newContext } from './support/chromium.js';
import { auditPage } from './support/axe.js';

// The harness checks itself: a page with known violations must fail axe in both modes, under a
// CSP as strict as the app's, or a green browser suite would mean nothing.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'";
const BAD_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bad</title></head>
<body><main><h1>Bad page</h1><img src="/pixel.svg"><form><input type="text" name="q"></form>
<noscript><p><input type="text" name="only-without-js"></p></noscript></main></body></html>`;
const INVISIBLE_BUTTON = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>white on white</title>
<link rel="stylesheet" href="/white.css"></head><body><main><h1>Form</h1><form><button type="submit" class="ghost">Send</button></form></main></body></html>`;
const GOOD_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>good</title></head>
<body><main><h1>Good page</h1><form><label for="q">Query</label><input id="q" type="text" name="q"></form></main></body></html>`;

let server: Server;
let base: string;
let browser: Browser;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('Content-Security-Policy', CSP);
    if (req.url === '/white.css') {
      res.setHeader('Content-Type', 'text/css');
      res.end('body { background: #fff; } .ghost { background: #fff; color: #fff; border: 2px solid #a00; }');
      return;
    }
    if (req.url === '/pixel.svg') {
      res.setHeader('Content-Type', 'image/svg+xml');
      res.end('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>');
      return;
    }
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(req.url === '/good' ? GOOD_PAGE : req.url === '/white' ? INVISIBLE_BUTTON : BAD_PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe.each(MODES)('axe harness with JavaScript $name', (mode) => {
  it('finds the critical violations of a bad page despite a strict CSP', async () => {
    const context = await newContext(browser, mode);
    const page = await context.newPage();
    await page.goto(`${base}/bad`);
    const result = await auditPage(browser, page, { label: 'bad', javaScriptEnabled: mode.javaScriptEnabled, csp: CSP });
    await context.close();
    const ids = result.fatal.map((f) => f.id);
    expect(ids).toContain('image-alt');
    expect(ids).toContain('label');
    const unlabelled = result.fatal.find((f) => f.id === 'label')!.nodes.map((n) => n.html).join('\n');
    // Without JavaScript the <noscript> form is what the person sees, so it is audited too.
    if (mode.javaScriptEnabled) expect(unlabelled).not.toContain('only-without-js');
    else expect(unlabelled).toContain('only-without-js');
  });

  it('fails white text on a white button, which axe itself only files as "needs review"', async () => {
    const context = await newContext(browser, mode);
    const page = await context.newPage();
    await page.goto(`${base}/white`);
    const result = await auditPage(browser, page, { label: 'white', javaScriptEnabled: mode.javaScriptEnabled, csp: CSP });
    await context.close();
    expect(result.fatal.map((f) => f.id)).toContain('color-contrast (axe: needs review)');
    expect(result.fatal.flatMap((f) => f.nodes.map((n) => n.html)).join('')).toContain('ghost');
  });

  it('passes a clean page', async () => {
    const context = await newContext(browser, mode);
    const page = await context.newPage();
    await page.goto(`${base}/good`);
    const result = await auditPage(browser, page, { label: 'good', javaScriptEnabled: mode.javaScriptEnabled, csp: CSP });
    await context.close();
    expect(result.fatal).toEqual([]);
  });
});
