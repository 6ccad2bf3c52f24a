import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { MODES } from './support/chromium.js';
import { useBrowserSuite } from './support/suite.js';
import { zh } from './support/text.js';
import { enrolInBrowser, operatorCreatesStaff } from './support/staff.js';
import { buildStatsFixture, STATS_CANARY } from '../http/stats-fixture.js';

const suite = useBrowserSuite({}, { withReviewer: true });
const NOVEMBER = '/staff/stats?from=2026-11-01&to=2026-11-30';
const NO_JS = MODES.find((m) => !m.javaScriptEnabled)!;
let caseNumbers: string[] = [];

/**
 * Statistics with JavaScript off: a reviewer and an analyst open /staff/stats
 * and see every chart as inline SVG, labelled by its heading and description, with a data table;
 * and the monthly report prints with its charts. Figures come from the hand-computed fixture.
 */
describe('statistics with JavaScript off', () => {
  it('a reviewer sees inline SVG charts with titles and data tables, and the monthly report', async () => {
    const staffId = (await suite.app.database.db.selectFrom('staff').select('id').where('role', '=', 'reviewer').executeTakeFirstOrThrow()).id;
    ({ caseNumbers } = await buildStatsFixture(suite.app, staffId));
    const s = await suite.session(NO_JS);
    await enrolInBrowser(s, await operatorCreatesStaff(suite.app, { username: 'stats-reviewer', role: 'reviewer' }), 'stats-reviewer');
    await s.goto(suite.app.url(NOVEMBER));
    await s.check('statistics', { status: 200 });
    await expectCharts(s.page, 7);
    expect(await s.page.getByRole('heading', { level: 1 }).textContent()).toBe(zh('stats.title'));
    // A figure of the fixture, and a suppressed one, in the tables.
    const channel = s.page.locator('#stats-weeklyChannel table');
    expect(await channel.locator('tr', { hasText: '2026-11-09' }).locator('td').allTextContents()).toEqual(['5', '<5']);
    const companies = s.page.locator('#stats-participation table');
    expect(await companies.locator('tr', { hasText: '韵达快递' }).locator('td').allTextContents()).toEqual(['0', '0', '6']);
    expect(await s.page.content()).not.toContain(STATS_CANARY);
    // The picture shows the charts, not the filter form above them.
    await s.page.locator('#stats-weeklyChannel').evaluate((el) => el.scrollIntoView());
    await s.screenshot('staff-stats');

    await s.goto(suite.app.url('/staff/stats/monthly?month=2026-11'));
    await s.check('statistics: monthly report', { status: 200 });
    expect(await s.page.getByRole('heading', { level: 1 }).textContent()).toBe(zh('stats.monthly.heading', { month: '2026-11' }));
    await expectCharts(s.page, 6);
    await s.screenshot('staff-stats-monthly');
    await s.finish();
  });

  it('an analyst sees the same charts, and no case', async () => {
    const s = await suite.session(NO_JS);
    await enrolInBrowser(s, await operatorCreatesStaff(suite.app, { username: 'stats-analyst', role: 'analyst' }), 'stats-analyst');
    await s.goto(suite.app.url(NOVEMBER));
    await s.check('statistics as analyst', { status: 200 });
    await expectCharts(s.page, 7);
    await s.goto(suite.app.url(`/staff/cases/${caseNumbers[0]}`));
    await s.check('a case as analyst', { status: 404 });
    await s.finish();
  });
});

/** Every chart is an inline SVG with role img, labelled by its section's heading and described by its paragraph, with a data table under it. */
async function expectCharts(page: Page, atLeast: number): Promise<void> {
  const sections = page.locator('section.stats-section').filter({ has: page.locator('figure.stats-chart > svg[role="img"]') });
  const count = await sections.count();
  expect(count).toBeGreaterThanOrEqual(atLeast);
  expect(await page.locator('table.stats-table').count()).toBeGreaterThan(count);
  for (let i = 0; i < count; i++) {
    const section = sections.nth(i);
    const chart = section.locator('figure.stats-chart > svg[role="img"]');
    expect(await chart.getAttribute('aria-labelledby')).toBe(await section.locator('h2').getAttribute('id'));
    expect(await chart.getAttribute('aria-describedby')).toBe(await section.locator('p.stats-description').getAttribute('id'));
    expect((await section.locator('h2').textContent())?.trim()).toBeTruthy();
    expect((await chart.boundingBox())?.width).toBeGreaterThan(200);
    expect(await section.locator('table.stats-table tbody tr').count()).toBeGreaterThan(0);
  }
}
