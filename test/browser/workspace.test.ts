import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DESKTOP, MODES, PHONE } from './support/chromium.js';
import { useBrowserSuite } from './support/suite.js';
import { zh } from './support/text.js';
import { button, field, link } from './support/forms.js';
import { codeFor, enrolInBrowser, operatorCreatesStaff } from './support/staff.js';
import { submitTestReport } from '../helpers/reports.js';

const suite = useBrowserSuite();

/** How many line boxes each queue header's text takes (1 = not wrapped). */
const headerLines = (page: Page) =>
  page.locator('.queue-table thead th').evaluateAll((ths) =>
    ths.map((th) => {
      type Rects = { getClientRects(): ArrayLike<{ top: number }> };
      const range = (th as unknown as { ownerDocument: { createRange(): Rects & { selectNodeContents(n: unknown): void } } }).ownerDocument.createRange();
      range.selectNodeContents(th);
      return new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size;
    }),
  );

const box = async (page: Page, selector: string) => (await page.locator(selector).boundingBox())!;

/**
 * The reviewer's workspace at 1280 px: queue headers on one line,
 * the case page's facts, deadlines and actions in a side column with an in-page table of contents,
 * one column on a phone; and a note typed when the session ended survives a new sign-in (item 2).
 */
describe.each(MODES)('reviewer workspace layout with JavaScript $name', (mode) => {
  it('queue headers on one line, case side column with deadlines and anchors, a kept note after the session ended', async () => {
    const shots = mode.javaScriptEnabled;
    const s = await suite.session(mode);
    const page = s.page;
    const username = `layout-${mode.name}`;
    const staff = await enrolInBrowser(s, await operatorCreatesStaff(suite.app, { username, role: 'reviewer' }), username);
    await submitTestReport(suite.app, { immediateDanger: true, categories: ['explosives', 'firearms'], province: 'SH' });
    const { caseNumber } = await submitTestReport(suite.app, { categories: ['spy_equipment'], province: 'JL' });

    await s.goto(suite.app.url('/staff'));
    await s.check('queue at 1280 px', { status: 200, screenshot: shots ? 'staff-queue' : undefined });
    expect(page.viewportSize()).toEqual(DESKTOP);
    const lines = await headerLines(page);
    expect(lines.length).toBe(8);
    expect(lines.every((n) => n === 1), `header lines ${lines.join(',')}`).toBe(true);
    expect(await page.locator('.queue-table').textContent()).toContain(zh('review.sla.triage.ok'));
    expect(await page.locator('.session-until').textContent()).toContain(zh('staff.session.until', { at: '' }).trim());

    await s.navigate(() => page.getByRole('link', { name: caseNumber, exact: true }).click());
    await s.check('case page at 1280 px', { status: 200, screenshot: shots ? 'staff-case' : undefined });
    const [main, facts, actions] = [await box(page, '.case-main'), await box(page, '.case-side-facts'), await box(page, '.case-side-actions')];
    expect(facts.x).toBeGreaterThanOrEqual(main.x + main.width); // beside the sections, not below them
    expect(actions.x).toBe(facts.x);
    expect(facts.y).toBeLessThan(main.y + 50);
    expect(await page.locator('.case-side-facts #deadlines').textContent()).toContain(zh('cases.clocks.kind.ack'));
    expect(await page.locator('.case-side-actions #triage').count()).toBe(1);

    // The table of contents: plain anchors, the same with JavaScript off.
    await link(page.locator('.case-toc'), 'cases.sections.timeline').click();
    await page.waitForURL(/#timeline$/);
    const timeline = await box(page, '#timeline');
    expect(timeline.y).toBeGreaterThanOrEqual(-1);
    expect(timeline.y).toBeLessThan(DESKTOP.height);

    // On a phone: one column, facts first, then the sections, then the actions.
    await page.setViewportSize(PHONE);
    const [pMain, pFacts, pActions] = [await box(page, '.case-main'), await box(page, '.case-side-facts'), await box(page, '.case-side-actions')];
    expect(pFacts.y).toBeLessThan(pMain.y);
    expect(pActions.y).toBeGreaterThan(pMain.y);
    expect(Math.abs(pMain.x - pFacts.x)).toBeLessThan(2);
    expect(await page.locator('html').evaluate((el) => (el as unknown as { scrollWidth: number }).scrollWidth)).toBeLessThanOrEqual(PHONE.width + 1);
    await page.setViewportSize(DESKTOP);

    // The session ends while a note is being written: the note comes back kept, then is sent.
    const note = `复核意见：与上海的两单寄件人相同（${mode.name}）。`;
    await field(page, 'cases.notes.label').fill(note);
    await suite.app.database.db.deleteFrom('sessions').where('kind', '=', 'staff').execute();
    await s.navigate(() => button(page, 'cases.notes.submit').click());
    await s.check('sign-in with the note kept', { status: 401, screenshot: shots ? 'staff-case-session-ended' : undefined });
    expect(await page.getByRole('alert').first().textContent()).toContain(zh('staff.resume.cause.sessionEnded'));
    expect(await page.getByLabel(zh('staff.resume.field.body')).inputValue()).toBe(note);
    await page.getByLabel(zh('staff.fields.username'), { exact: true }).fill(staff.username);
    await page.getByLabel(zh('staff.fields.password'), { exact: true }).fill(staff.password);
    await page.getByLabel(zh('staff.fields.code'), { exact: true }).fill(await codeFor(staff));
    await s.navigate(() => button(page, 'staff.resume.submit').click());
    await s.check('case page: kept note sent', { status: 200 });
    expect(new URL(page.url()).pathname).toBe(`/staff/cases/${caseNumber}`);
    expect(await page.getByRole('status').first().textContent()).toContain(zh('cases.done.note'));
    expect(await page.locator('#notes').textContent()).toContain(note);
    await s.finish();
  });
});
