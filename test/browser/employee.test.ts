import { describe, expect, it } from 'vitest';
import { MODES } from './support/chromium.js';
import { useBrowserSuite } from './support/suite.js';
import { zh } from './support/text.js';
import { button, field, link } from './support/forms.js';
import { createInviteCode, uniquePhone } from '../helpers/employees.js';
import type { BrowserSession } from './support/session.js';

const suite = useBrowserSuite({}, { withReviewer: true });

async function fill(s: BrowserSession, values: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(values)) await s.page.getByLabel(zh(key), { exact: true }).fill(value);
}

describe.each(MODES)('delivery employee with JavaScript $name', (mode) => {
  it('joins with the outlet invite code from the landing page, signs out and back in', async () => {
    const shots = mode.javaScriptEnabled;
    const invite = await createInviteCode(suite.app, {});
    const phone = uniquePhone();
    const password = 'parcel rain window 73';
    const s = await suite.session(mode);
    const page = s.page;

    await s.goto(suite.app.url('/'));
    await s.check('landing');
    await s.navigate(() => page.getByRole('main').getByRole('link', { name: zh('common.nav.employee') }).click());
    await s.check('employee sign-in', { status: 200, screenshot: shots ? 'employee-login' : undefined });
    await s.navigate(() => page.getByRole('main').getByRole('link', { name: zh('employees.join.title') }).click());
    await s.check('employee join', { status: 200, screenshot: shots ? 'employee-join' : undefined });

    // A first attempt with mismatched passwords comes back with everything else still typed.
    const identity = {
      'employees.fields.inviteCode': invite.code,
      'employees.fields.name': '王小明',
      'employees.fields.employeeNumber': 'SF-20417',
      'employees.fields.phone': phone,
    };
    await fill(s, { ...identity, 'employees.fields.password': password, 'employees.fields.passwordConfirm': `${password}x` });
    await s.navigate(() => page.getByRole('button', { name: zh('employees.join.submit') }).click());
    await s.check('employee join refused');
    expect(s.status).toBeGreaterThanOrEqual(400);
    expect(s.status).toBeLessThan(500);
    expect(await page.getByRole('alert').count()).toBe(1);
    for (const [key, value] of Object.entries(identity)) {
      expect(await page.getByLabel(zh(key), { exact: true }).inputValue(), key).toBe(value);
    }
    // The error summary links to the field it is about.
    const summaryLink = page.getByRole('alert').getByRole('link').first();
    expect(await summaryLink.getAttribute('href')).toBe('#passwordConfirm');

    await fill(s, { 'employees.fields.password': password, 'employees.fields.passwordConfirm': password });
    await s.navigate(() => page.getByRole('button', { name: zh('employees.join.submit') }).click());
    await s.check('employee home after joining', { status: 200, screenshot: shots ? 'employee-home' : undefined });
    expect(new URL(page.url()).pathname).toBe('/employee');
    expect(await page.getByRole('status').textContent()).toContain(zh('employees.home.joined'));

    await s.navigate(() => page.getByRole('button', { name: zh('common.actions.logout') }).click());
    await s.check('signed out');
    await s.goto(suite.app.url('/employee/login'));
    await s.check('employee sign-in');
    await fill(s, { 'employees.fields.phone': phone, 'employees.fields.password': password });
    await s.navigate(() => page.getByRole('button', { name: zh('employees.login.submit') }).click());
    await s.check('employee home after sign-in', { status: 200 });
    expect(new URL(page.url()).pathname).toBe('/employee');

    // File a tip with the identity attached sealed, then find it under "my tips".
    await s.navigate(() => link(page.getByRole('main'), 'employees.home.reportLink').click());
    await s.check('employee report form', { status: 200, screenshot: shots ? 'employee-report' : undefined });
    await page.getByRole('checkbox', { name: new RegExp(`^${zh('taxonomy.strategic_minerals.name')}`) }).check();
    const description = `寄件人申报“五金配件”，过机显示为大量金属锭（${mode.name}）。`;
    await field(page, 'intake.description.label').fill(description);
    await field(page, 'intake.fields.waybillNumbers').fill('YT7788990011');
    await s.navigate(() => button(page, 'employees.report.submit').click());
    await s.check('employee tip filed', { status: 200, screenshot: shots ? 'employee-tip' : undefined });
    const caseNumber = /\/employee\/tips\/([^/?#]+)/.exec(page.url())?.[1];
    expect(caseNumber).toBeTruthy();
    expect(await page.getByRole('main').textContent()).toContain(description);

    const nav = page.getByRole('navigation', { name: zh('employees.nav.label') });
    await s.navigate(() => link(nav, 'employees.nav.tips').click());
    await s.check('employee tips list', { status: 200, screenshot: shots ? 'employee-tips' : undefined });
    expect(await page.getByRole('link', { name: decodeURIComponent(caseNumber!) }).count()).toBe(1);
    await s.finish();
  });

  it('a wrong password is refused without saying which part was wrong, keeping the phone typed', async () => {
    const s = await suite.session(mode);
    await s.goto(suite.app.url('/employee/login'));
    await s.check('employee sign-in');
    const phone = uniquePhone();
    await fill(s, { 'employees.fields.phone': phone, 'employees.fields.password': 'not the password 1' });
    await s.navigate(() => s.page.getByRole('button', { name: zh('employees.login.submit') }).click());
    await s.check('employee sign-in refused', { status: 401 });
    expect(await s.page.getByRole('alert').textContent()).toContain(zh('employees.errors.loginFailed'));
    expect(await s.page.getByLabel(zh('employees.fields.phone'), { exact: true }).inputValue()).toBe(phone);
    expect(await s.page.getByLabel(zh('employees.fields.password'), { exact: true }).inputValue()).toBe('');
    await s.finish();
  });
});
