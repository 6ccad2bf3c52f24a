import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCALES_DIR } from '../../server/core/i18n/index.js';
import { MODES } from './support/chromium.js';
import { useBrowserSuite } from './support/suite.js';

const suite = useBrowserSuite();
const AREAS = readdirSync(path.join(LOCALES_DIR, 'zh-CN')).map((f) => f.replace(/\.json$/, ''));
const UNTRANSLATED_KEY = new RegExp(`\\b(?:${AREAS.join('|')})\\.[a-zA-Z_]+(?:\\.[a-zA-Z_]+)*`, 'g');

describe.each(MODES)('public site with JavaScript $name', (mode) => {
  it('landing page: Chinese by default, emergency numbers, links to every public flow and none to the workspace', async () => {
    const s = await suite.session(mode);
    await s.goto(suite.app.url('/'));
    await s.check('landing', { status: 200, screenshot: 'landing' });

    const page = s.page;
    expect(await page.getAttribute('html', 'lang')).toBe('zh-Hans');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBeTruthy();
    const emergency = page.getByRole('note');
    expect(await emergency.textContent()).toMatch(/110[\s\S]*12339/);
    expect(await page.getByRole('link', { name: '110', exact: true }).getAttribute('href')).toBe('tel:110');
    for (const href of ['/report', '/followup', '/employee/login']) {
      expect(await page.locator(`a[href="${href}"]`).count(), href).toBeGreaterThan(0);
    }
    // The staff workspace lives on its own listener: the public site never points at it.
    expect(await page.locator('a[href*="/staff"]').count()).toBe(0);
    await s.finish();
  });

  it('language switch: a plain link that keeps the reader on the same page', async () => {
    const s = await suite.session(mode);
    await s.goto(suite.app.url('/'));
    await s.check('landing');
    await s.navigate(() => s.page.getByRole('link', { name: 'English' }).click());
    await s.check('landing in English', { status: 200, screenshot: 'landing-en' });
    expect(await s.page.getAttribute('html', 'lang')).toBe('en');
    expect(new URL(s.page.url()).pathname).toBe('/');
    expect(await s.page.getByRole('link', { name: '简体中文' }).count()).toBe(1);

    // The choice sticks for the next page, without JavaScript and without a query string.
    await s.goto(suite.app.url('/no-such-page'));
    await s.check('not found in English', { status: 404 });
    expect(await s.page.textContent('main')).toContain('Page not found');
    await s.navigate(() => s.page.getByRole('link', { name: '简体中文' }).click());
    await s.check('not found in Chinese', { status: 404, screenshot: 'not-found' });
    expect(await s.page.getAttribute('html', 'lang')).toBe('zh-Hans');
    await s.finish();
  });

  it('guide: reached from the header navigation, with the emergency numbers first', async () => {
    const s = await suite.session(mode);
    await s.goto(suite.app.url('/'));
    await s.check('landing');
    const nav = s.page.getByRole('navigation', { name: '主导航' });
    await s.navigate(() => nav.getByRole('link', { name: '识别指南' }).click());
    await s.check('guide', { status: 200, screenshot: 'guide' });
    expect(new URL(s.page.url()).pathname).toBe('/guide');
    expect(await s.page.getByRole('heading', { level: 1 }).count()).toBe(1);
    expect(await s.page.locator('a[href="tel:110"]').count()).toBeGreaterThan(0);
    // The table of contents jumps within the page (no load, so nothing new to audit).
    const contents = s.page.getByRole('navigation').filter({ has: s.page.locator('a[href="#call-now"]') });
    await contents.locator('a[href="#call-now"]').click();
    expect(new URL(s.page.url()).hash).toBe('#call-now');
    await s.finish();
  });

  it('every public entry page in English: translated, lang="en", accessible', async () => {
    const s = await suite.session(mode, { locale: 'en-GB' });
    for (const path of ['/', '/report', '/followup', '/guide', '/employee/login', '/employee/join', '/staff/login', '/staff/recover']) {
      await s.goto(suite.app.url(path));
      await s.check(`${path} in English`, { status: 200, screenshot: path === '/report' && mode.javaScriptEnabled ? 'report-form-en' : undefined });
      expect(await s.page.getAttribute('html', 'lang'), path).toBe('en');
      const text = (await s.page.textContent('body')) ?? '';
      // A missing translation shows up as its key, e.g. "intake.fields.province".
      expect(text.match(UNTRANSLATED_KEY) ?? [], path).toEqual([]);
      expect(text, path).not.toMatch(/[\u4e00-\u9fff]{6,}/); // no stray Chinese sentences (the "简体中文" switch is fine)
    }
    await s.finish();
  });

  it('keyboard: the first Tab reaches "skip to content", Enter moves past the header', async () => {
    const s = await suite.session(mode);
    await s.goto(suite.app.url('/'));
    await s.check('landing');
    await s.page.keyboard.press('Tab');
    const focused = s.page.locator(':focus');
    expect(await focused.getAttribute('href')).toBe('#main');
    expect(await focused.isVisible()).toBe(true); // the skip link shows itself when focused
    await s.page.keyboard.press('Enter');
    await s.page.keyboard.press('Tab');
    // The next stop is inside <main>, not back in the header navigation.
    expect(await s.page.locator('main :focus').count()).toBe(1);
    await s.finish();
  });
});
