import { describe, expect, it } from 'vitest';
import { MODES } from './support/chromium.js';
import { useBrowserSuite } from './support/suite.js';
import { enrolInBrowser, loginInBrowser, logoutInBrowser, operatorCreatesStaff, codeFor } from './support/staff.js';
import { zh } from './support/text.js';

const suite = useBrowserSuite();

describe.each(MODES)('staff accounts with JavaScript $name', (mode) => {
  it('admin enrols from the CLI link, creates a custodian reviewer who enrols and is approved by a custodian, all sign in with TOTP', async () => {
    const shots = mode.javaScriptEnabled;
    const admin = await suite.session(mode);
    const adminName = `admin-${mode.name}`;
    const adminAccount = await enrolInBrowser(admin, await operatorCreatesStaff(suite.app, { username: adminName, role: 'admin' }), adminName, shots);

    // The admin creates a reviewer who is also an identity custodian and gets a one-time link.
    const page = admin.page;
    await admin.goto(suite.app.url('/staff/admin/staff'));
    await admin.check('staff admin: accounts', { status: 200, screenshot: shots ? 'staff-admin' : undefined });
    const reviewerName = `reviewer-${mode.name}`;
    await page.getByLabel(zh('staff.fields.username'), { exact: true }).fill(reviewerName);
    await page.getByRole('radio', { name: new RegExp(zh('staff.roles.reviewer')) }).check();
    await page.getByLabel(zh('staff.admin.custodianLabel'), { exact: true }).check();
    await admin.navigate(() => page.getByRole('button', { name: zh('staff.admin.createSubmit') }).click());
    await admin.check('staff admin: enrolment link');
    const link = await page.getByLabel(zh('staff.admin.linkLabel'), { exact: true }).inputValue();
    expect(link).toMatch(/\/staff\/enrol\/[A-Za-z0-9_-]{20,}$/);

    expect(await page.locator('#approval-advice').textContent()).toContain(zh('staff.admin.linkApproval'));

    // The new reviewer enrols; they see their key fingerprint and that they hold no keys yet.
    const reviewer = await suite.session(mode);
    const reviewerAccount = await enrolInBrowser(reviewer, suite.app.url(new URL(link, suite.app.baseUrl).pathname), reviewerName, shots);
    expect(reviewerAccount.fingerprint).toMatch(/^\d{5}( \d{5}){5}$/);
    expect(await reviewer.page.locator('#key-status').textContent()).toContain(zh('staff.account.awaitingApproval'));

    // A custodian the operator created hears the fingerprint and types it in; a wrong one is refused first.
    const custodian = await suite.session(mode);
    const custodianName = `custodian-${mode.name}`;
    await enrolInBrowser(custodian, await operatorCreatesStaff(suite.app, { username: custodianName, role: 'reviewer', custodian: true }), custodianName);
    await custodian.goto(suite.app.url('/staff'));
    await custodian.check('queue with key-holder notice', { status: 200 });
    expect(await custodian.page.locator('#keyholder-notice').textContent()).toContain(zh('staff.keyholders.banner.link'));
    await custodian.navigate(() => custodian.page.getByRole('link', { name: zh('staff.keyholders.banner.link') }).click());
    await custodian.check('key holders: waiting', { status: 200, screenshot: shots ? 'staff-keyholders' : undefined });
    const fingerprintField = custodian.page.getByLabel(zh('staff.keyholders.fingerprintLabel', { username: reviewerName }), { exact: true });
    const approveButton = custodian.page.getByRole('button', { name: `${zh('staff.keyholders.approveSubmit')} ${reviewerName}` });
    await fingerprintField.fill('00000 00000 00000 00000 00000 00000');
    await custodian.navigate(() => approveButton.click());
    await custodian.check('key holders: fingerprint refused');
    expect(custodian.status).toBe(422);
    expect(await custodian.page.getByRole('alert').textContent()).toContain(zh('staff.keyholders.errors.mismatch'));
    expect(await fingerprintField.inputValue()).toBe('00000 00000 00000 00000 00000 00000');
    await fingerprintField.fill(reviewerAccount.fingerprint!);
    await custodian.navigate(() => approveButton.click());
    await custodian.check('key holders: approved', { status: 200 });
    expect(await custodian.page.getByRole('status').first().textContent()).toContain(zh('staff.keyholders.notice.approved'));
    await custodian.finish();

    await reviewer.goto(suite.app.url('/staff/account'));
    await reviewer.check('account: key holder', { status: 200 });
    expect(await reviewer.page.locator('#key-status').textContent()).toContain(zh('staff.account.keyHolder'));
    await reviewer.finish();

    // The new account is listed as active, custodian, without revealing anything else.
    await admin.goto(suite.app.url('/staff/admin/staff'));
    await admin.check('staff admin: accounts after enrolment');
    const row = page.getByRole('row').filter({ hasText: reviewerName });
    expect(await row.textContent()).toContain(zh('staff.roles.custodian'));
    expect(await row.textContent()).toContain(zh('staff.status.active'));

    // Sign out, then back in with password and a fresh TOTP code.
    await logoutInBrowser(admin);
    expect(await page.getByRole('status').textContent()).toContain(zh('staff.login.signedOut'));
    await loginInBrowser(admin, suite.app, adminAccount, shots);
    await admin.finish();

    const again = await suite.session(mode);
    await loginInBrowser(again, suite.app, reviewerAccount);
    await again.finish();
  });

  it('a wrong code is refused with one generic message; a forgotten password is reset with the recovery key', async () => {
    const s = await suite.session(mode);
    const name = `wrong-code-${mode.name}`;
    const account = await enrolInBrowser(s, await operatorCreatesStaff(suite.app, { username: name, role: 'reviewer' }), name);
    await s.goto(suite.app.url('/staff/account/password'));
    await s.check('staff account: password');
    await logoutInBrowser(s);
    const page = s.page;
    await page.getByLabel(zh('staff.fields.username'), { exact: true }).fill(name);
    await page.getByLabel(zh('staff.fields.password'), { exact: true }).fill(account.password);
    const good = await codeFor(account);
    await page.getByLabel(zh('staff.fields.code'), { exact: true }).fill(good === '000000' ? '111111' : '000000');
    await s.navigate(() => page.getByRole('button', { name: zh('staff.login.submit') }).click());
    await s.check('staff sign-in refused', { screenshot: mode.javaScriptEnabled ? 'staff-login-error' : undefined });
    expect(s.status).toBeGreaterThanOrEqual(400);
    expect(s.status).toBeLessThan(500);
    expect(await page.getByRole('alert').count()).toBe(1);
    expect(await page.getByLabel(zh('staff.fields.username'), { exact: true }).inputValue()).toBe(name);
    expect(await page.getByLabel(zh('staff.fields.password'), { exact: true }).inputValue()).toBe(''); // never echoed back
    expect(new URL(page.url()).pathname).toBe('/staff/login');

    // Forgotten password: the recovery key from enrolment, a new password and a code; a new key is shown.
    await s.navigate(() => page.getByRole('link', { name: zh('staff.login.forgot') }).click());
    await s.check('staff recovery', { status: 200, screenshot: mode.javaScriptEnabled ? 'staff-recover' : undefined });
    const newPassword = `${account.password} renewed`;
    await page.getByLabel(zh('staff.fields.username'), { exact: true }).fill(name);
    await page.getByLabel(zh('staff.fields.recoveryKey'), { exact: true }).fill(account.recoveryKey);
    await page.getByLabel(zh('staff.fields.newPassword'), { exact: true }).fill(newPassword);
    await page.getByLabel(zh('staff.fields.newPasswordConfirm'), { exact: true }).fill(newPassword);
    await page.getByLabel(zh('staff.fields.code'), { exact: true }).fill(await codeFor(account));
    await s.navigate(() => page.getByRole('button', { name: zh('staff.recover.submit') }).click());
    await s.check('staff recovery done', { status: 200 });
    const newKey = ((await page.locator('.recovery-key').textContent()) ?? '').trim();
    expect(newKey.length).toBeGreaterThan(40);
    expect(newKey).not.toBe(account.recoveryKey);
    await loginInBrowser(s, suite.app, { ...account, password: newPassword });
    await s.finish();
  });
});
