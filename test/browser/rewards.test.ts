import { describe, expect, it } from 'vitest';
import { MODES } from './support/chromium.js';
import { useBrowserSuite } from './support/suite.js';
import { zh } from './support/text.js';
import { button, field, link } from './support/forms.js';
import { followupLogin } from './support/report-flow.js';
import { submitTestReport } from '../helpers/reports.js';

const suite = useBrowserSuite({}, { withReviewer: true });

/**
 * A reporter whose case was marked reward-eligible makes a claim code, gives identity for the
 * reward after the consent step, and asks for protection — with JavaScript on and off.
 */
describe.each(MODES)('rewards and protection with JavaScript $name', (mode) => {
  it('claims anonymously, gives identity for the reward by consent, and asks for protection', async () => {
    const shots = mode.javaScriptEnabled;
    const { receipt, reportId } = await submitTestReport(suite.app);
    await suite.app.database.db.updateTable('reports').set({ reward_eligible: true }).where('id', '=', reportId).execute();
    await suite.app.database.db.deleteFrom('rate_limits').execute();
    const s = await suite.session(mode);
    const page = s.page;
    await s.goto(suite.app.url('/followup'));
    await s.check('follow-up: sign-in', { status: 200 });
    await followupLogin(s, receipt!);

    // The claim code: shown once, on its own page.
    await s.navigate(() => button(page, 'rewards.claim.makeCode').click());
    await s.check('reward: claim code', { status: 200, screenshot: shots ? 'reward-claim-code' : undefined });
    const code = ((await page.locator('.receipt').textContent()) ?? '').trim();
    expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{5}-){3}[0-9A-HJKMNP-TV-Z]{5}$/);
    await s.navigate(() => link(page.getByRole('main'), 'rewards.back').click());
    await s.check('follow-up: after claim', { status: 200 });
    expect(await page.locator('#reward').textContent()).not.toContain(code);
    expect(await button(page, 'rewards.claim.newCode').count()).toBe(1);

    // Identity for the reward: refused without the consent box, kept as typed, then given.
    await s.navigate(() => link(page, 'rewards.claim.identityLink').click());
    await s.check('reward: identity consent', { status: 200, screenshot: shots ? 'reward-identity' : undefined });
    await field(page, 'intake.identity.name').fill('陈静');
    await s.navigate(() => button(page, 'rewards.identity.submit').click());
    await s.check('reward: identity refused', { status: 422 });
    expect(await page.getByRole('alert').first().textContent()).toContain(zh('rewards.errors.consentRequired'));
    expect(await field(page, 'intake.identity.name').inputValue()).toBe('陈静');
    await page.getByLabel(zh('rewards.identity.consent')).check();
    await s.navigate(() => button(page, 'rewards.identity.submit').click());
    await s.check('follow-up: identity given', { status: 200 });
    expect(await page.locator('#reward').textContent()).toContain(zh('rewards.claim.identityGiven', { date: '' }).slice(0, 4));

    // Protection: a native <details> on the status page, no script needed.
    await page.getByText(zh('rewards.protection.summary')).click();
    await page.getByLabel(zh('rewards.protection.confirm')).check();
    await field(page, 'rewards.protection.messageLabel').fill('有陌生人在网点门口打听是谁举报的。');
    await s.navigate(() => button(page, 'rewards.protection.submit').click());
    await s.check('protection: sent', { status: 200, screenshot: shots ? 'protection-sent' : undefined });
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(zh('rewards.protection.sentTitle'));
    const row = await suite.app.database.db.selectFrom('reports').select(['severity', 'protection_requested_at']).where('id', '=', reportId).executeTakeFirstOrThrow();
    expect(row.severity).toBe('critical');
    expect(row.protection_requested_at).not.toBeNull();
    await s.finish();
  });
});
