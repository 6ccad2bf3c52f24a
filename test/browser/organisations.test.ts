import { describe, expect, it } from 'vitest';
import { MODES } from './support/chromium.js';
import { useBrowserSuite } from './support/suite.js';
import { zh } from './support/text.js';
import { button, link } from './support/forms.js';
import { enrolInBrowser, operatorCreatesStaff } from './support/staff.js';
import { uniquePhone } from '../helpers/employees.js';

const suite = useBrowserSuite();

describe.each(MODES)('companies, outlets and invite codes with JavaScript $name', (mode) => {
  it('an admin registers a company and an outlet, hands out a code, an employee joins with it and is deactivated', async () => {
    const shots = mode.javaScriptEnabled;
    const admin = await suite.session(mode);
    const adminName = `orgadmin-${mode.name}`;
    await enrolInBrowser(admin, await operatorCreatesStaff(suite.app, { username: adminName, role: 'admin' }), adminName);
    const page = admin.page;

    await admin.goto(suite.app.url('/staff/admin/orgs'));
    await admin.check('organisations', { status: 200, screenshot: shots ? 'staff-orgs' : undefined });
    const company = `韵达测试${mode.name}`;
    await page.getByLabel(zh('organisations.fields.companyName'), { exact: true }).fill(company);
    await admin.navigate(() => button(page, 'organisations.index.createOrgSubmit').click());
    await admin.check('organisations: company registered');
    expect(await page.getByRole('status').textContent()).toContain(zh('organisations.notice.org'));

    const outlet = `长春绿园营业部${mode.name}`;
    await page.getByLabel(zh('organisations.fields.company'), { exact: true }).selectOption({ label: company });
    await page.getByLabel(zh('organisations.fields.outletName'), { exact: true }).fill(outlet);
    await page.getByLabel(zh('organisations.fields.province'), { exact: true }).selectOption({ label: zh('intake.provinces.JL') });
    await page.getByLabel(zh('organisations.fields.city'), { exact: true }).fill('长春');
    await admin.navigate(() => button(page, 'organisations.index.createOutletSubmit').click());
    await admin.check('outlet page', { status: 200, screenshot: shots ? 'staff-outlet' : undefined });
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain(outlet);
    await page.getByLabel(zh('organisations.fields.days'), { exact: true }).fill('7');
    await page.getByLabel(zh('organisations.fields.uses'), { exact: true }).fill('3');
    await admin.navigate(() => button(page, 'organisations.outlet.createInviteSubmit').click());
    await admin.check('invite code shown once', { status: 201, screenshot: shots ? 'staff-invite-code' : undefined });
    const code = ((await page.locator('.org-code').textContent()) ?? '').trim();
    expect(code).toMatch(/^[A-Z0-9-]{12,}$/);

    // The courier joins with the code the admin handed over.
    const employee = await suite.session(mode);
    await employee.goto(suite.app.url('/employee/join'));
    await employee.check('employee join');
    const password = 'rain window parcel 73';
    for (const [key, value] of Object.entries({
      'employees.fields.inviteCode': code,
      'employees.fields.name': '赵快递',
      'employees.fields.employeeNumber': 'YD-0091',
      'employees.fields.phone': uniquePhone(),
      'employees.fields.password': password,
      'employees.fields.passwordConfirm': password,
    })) {
      await employee.page.getByLabel(zh(key), { exact: true }).fill(value);
    }
    await employee.navigate(() => button(employee.page, 'employees.join.submit').click());
    await employee.check('employee home');
    expect(new URL(employee.page.url()).pathname).toBe('/employee');

    // The admin sees one account on the outlet (no name, no phone) and deactivates it.
    await admin.navigate(() => link(page, 'organisations.invite.back').click());
    await admin.check('outlet with one employee');
    expect(await page.getByRole('main').textContent()).not.toContain('赵快递');
    await admin.navigate(() => page.getByRole('link', { name: new RegExp(`^${zh('organisations.outlet.deactivate')}`) }).first().click());
    await admin.check('deactivate employee', { status: 200 });
    await admin.navigate(() => button(page, 'organisations.deactivate.submit').click());
    await admin.check('employee deactivated');
    expect(await page.getByRole('status').textContent()).toContain(zh('organisations.notice.deactivated'));
    await admin.finish();

    // The courier's session ended with the deactivation.
    await employee.goto(suite.app.url('/employee'));
    await employee.check('employee after deactivation');
    expect(new URL(employee.page.url()).pathname).toBe('/employee/login');
    await employee.finish();
  });
});
