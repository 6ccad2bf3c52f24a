import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODES } from './support/chromium.js';
import { useBrowserSuite } from './support/suite.js';
import { zh } from './support/text.js';
import { button, field, link, tabTo } from './support/forms.js';
import { fillReport, followupLogin, photoFile, reviewAndSend } from './support/report-flow.js';

const suite = useBrowserSuite({}, { withReviewer: true });

describe.each(MODES)('public report and follow-up with JavaScript $name', (mode) => {
  it('submits a tip with a photo, keeps the receipt, returns with it, replies, adds a photo and a name', async () => {
    const shots = mode.javaScriptEnabled;
    const s = await suite.session(mode);
    const page = s.page;
    await s.goto(suite.app.url('/'));
    await s.check('landing');
    await s.navigate(() => link(page.getByRole('main'), 'landing.reportButton').click());
    await s.check('report form', { status: 200, screenshot: shots ? 'report-form' : undefined });

    // Sending it empty: a clear list of what is missing, nothing lost, no server error.
    await s.navigate(() => button(page, 'intake.actions.review').click());
    await s.check('report form with errors', { screenshot: shots ? 'report-errors' : undefined });
    expect(s.status).toBe(422);
    const summary = page.getByRole('alert');
    expect(await summary.textContent()).toContain(zh('intake.errors.categories_required'));
    expect(await summary.textContent()).toContain(zh('intake.errors.description_required'));

    const photo = await photoFile();
    const description = `收寄时包裹内有伪装成充电宝的针孔摄像设备（${mode.name}）。`;
    await fillReport(s, {
      category: 'spy_equipment',
      description,
      waybill: 'SF1400112233',
      province: 'GD',
      senderPhone: '13800138000',
      photo,
    });
    const receipt = await reviewAndSend(s, { shots });
    expect(await page.getByText(zh('intake.receipt.shownOnce')).count()).toBe(1);

    await page.getByLabel(zh('intake.receipt.confirm')).check();
    await s.navigate(() => button(page, 'intake.receipt.continue').click());
    await s.check('report: thanks', { status: 200 });
    await s.navigate(() => link(page.getByRole('main'), 'intake.thanks.followup').click());
    await s.check('follow-up: sign-in', { status: 200, screenshot: shots ? 'followup-login' : undefined });

    await followupLogin(s, receipt);
    // The photo arrived with its name.
    expect(await page.locator('#files').textContent()).toContain(path.basename(photo));

    const reply = `补充：寄件人说下周还会来寄同样的包裹（${mode.name}）。`;
    await field(page, 'followup.reply.label').fill(reply);
    await s.navigate(() => button(page, 'followup.reply.submit').click());
    await s.check('follow-up: after reply', { status: 200, screenshot: shots ? 'followup-status' : undefined });
    expect(await page.locator('#thread').textContent()).toContain(reply);

    // Another photo later, with a note.
    const files = page.locator('#files');
    const later = await photoFile('第二张照片.jpg');
    await field(files, 'intake.files.label').setInputFiles(later);
    await field(files, 'followup.files.noteLabel').fill('第二天在分拣线上拍的。');
    await s.navigate(() => button(files, 'followup.files.submit').click());
    await s.check('follow-up: file added');
    expect(await page.locator('#files').textContent()).toContain('第二张照片.jpg');

    // The reporter decides to leave a name in confidence after all.
    const consent = page.locator('#consent');
    await consent.getByRole('radio', { name: new RegExp(`^${zh('intake.identity.confidential')}`) }).check();
    await field(consent, 'intake.identity.name').fill('王先生');
    await s.navigate(() => button(consent, 'followup.consent.submit').click());
    await s.check('follow-up: identity added');
    expect(await page.locator('#consent').textContent()).toContain(zh('followup.consent.levels.confidential'));

    await s.navigate(() => button(page, 'followup.logout').click());
    await s.check('follow-up: signed out');
    await s.goto(suite.app.url('/followup'));
    await s.check('follow-up: sign-in again');
    expect(await field(page, 'followup.login.label').count()).toBe(1); // the session really ended
    await s.finish();
  });

  it('a wrong receipt gets one generic answer and no hint', async () => {
    const s = await suite.session(mode);
    await s.goto(suite.app.url('/followup'));
    await s.check('follow-up: sign-in');
    await field(s.page, 'followup.login.label').fill('1234 5678 9012 3456');
    await s.navigate(() => button(s.page, 'followup.login.submit').click());
    await s.check('follow-up: refused', { status: 401 });
    expect(await s.page.getByRole('alert').textContent()).toContain(zh('followup.errors.invalid'));
    await s.finish();
  });

  it('keyboard only: Tab, Space and Enter are enough to file a report', async () => {
    const s = await suite.session(mode);
    const page = s.page;
    await s.goto(suite.app.url('/report'));
    await s.check('report form');
    const category = page.getByRole('checkbox', { name: new RegExp(`^${zh('taxonomy.explosives.name')}`) });
    await tabTo(page, category);
    await page.keyboard.press('Space');
    expect(await category.isChecked()).toBe(true);
    await tabTo(page, field(page, 'intake.description.label'));
    await page.keyboard.type('分拣时发现一个包裹有刺鼻气味，外包装渗出液体。');
    // Tab stops once in a radio group, on the checked choice: anonymous unless the reporter changes it.
    const anonymous = page.getByRole('radio', { name: new RegExp(`^${zh('intake.identity.anonymous')}`) });
    await tabTo(page, anonymous);
    expect(await anonymous.isChecked()).toBe(true);
    await tabTo(page, button(page, 'intake.actions.review'));
    await s.navigate(() => page.keyboard.press('Enter'));
    await s.check('report: review (keyboard)', { status: 200 });
    await tabTo(page, button(page, 'intake.actions.send'));
    await s.navigate(() => page.keyboard.press('Enter'));
    await s.check('report: receipt (keyboard)', { status: 200 });
    expect(((await page.locator('.receipt').textContent()) ?? '').replace(/\D/g, '')).toMatch(/^\d{16}$/);
    await s.finish();
  });
});
