import { describe, expect, it } from 'vitest';
import { MODES, PHONE } from './support/chromium.js';
import { useBrowserSuite } from './support/suite.js';
import { zh } from './support/text.js';
import { button, field, link } from './support/forms.js';
import { photoFile } from './support/report-flow.js';
import { createEmployee, createTestOutlet } from '../helpers/employees.js';
import type { BrowserSession } from './support/session.js';

const suite = useBrowserSuite({}, { withReviewer: true });

/** Height of the site header, in CSS pixels, at phone width. */
async function phoneHeaderHeight(s: BrowserSession): Promise<number> {
  const original = s.page.viewportSize();
  await s.page.setViewportSize(PHONE);
  const height = await s.page.locator('.site-header').evaluate((el) => el.getBoundingClientRect().height);
  if (original) await s.page.setViewportSize(original);
  return height;
}

async function signIn(s: BrowserSession, phone: string, password: string): Promise<void> {
  await s.goto(suite.app.url('/employee/login'));
  await s.check('employee sign-in');
  await s.page.getByLabel(zh('employees.fields.phone'), { exact: true }).fill(phone);
  await s.page.getByLabel(zh('employees.fields.password'), { exact: true }).fill(password);
  await s.navigate(() => button(s.page, 'employees.login.submit').click());
  await s.check('employee home', { status: 200 });
}

describe.each(MODES)('the quick tip, one navigation bar and kept text, JavaScript $name', (mode) => {
  it('a member of the public sends a quick tip from the landing page: errors keep what was typed, then a receipt', async () => {
    const shots = mode.javaScriptEnabled;
    const s = await suite.session(mode);
    const page = s.page;
    await s.goto(suite.app.url('/'));
    await s.check('landing');
    await s.navigate(() => link(page.getByRole('main'), 'intake.quick.title').click());
    await s.check('quick tip', { status: 200, screenshot: shots ? 'quick-tip-form' : undefined });
    expect(await phoneHeaderHeight(s)).toBeLessThan(160);

    // A waybill number but no category and no sentence: both named, the number still there.
    await field(page, 'intake.quick.waybillLabel').fill('YT2233445566');
    await s.navigate(() => button(page, 'intake.quick.send').click());
    await s.check('quick tip with errors', { status: 422, screenshot: shots ? 'quick-tip-errors' : undefined });
    const summary = (await page.getByRole('alert').first().textContent()) ?? '';
    expect(summary).toContain(zh('intake.errors.categories_required'));
    expect(summary).toContain(zh('intake.errors.description_required'));
    expect(await field(page, 'intake.quick.waybillLabel').inputValue()).toBe('YT2233445566');

    await field(page, 'intake.quick.categoryLabel').selectOption('spy_equipment');
    await field(page, 'intake.quick.photoLabel').setInputFiles(await photoFile('快速提交.jpg'));
    await field(page, 'intake.quick.sentenceLabel').fill(`面单写“数码配件”，过机看到镜头和天线（${mode.name}）。`);
    await s.navigate(() => button(page, 'intake.quick.send').click());
    await s.check('quick tip: receipt', { status: 200, screenshot: shots ? 'quick-tip-receipt' : undefined });
    expect(((await page.locator('.receipt').textContent()) ?? '').replace(/\D/g, '')).toMatch(/^\d{16}$/);
    await s.finish();
  });

  it('"add details" opens the full form with everything typed', async () => {
    const s = await suite.session(mode);
    const page = s.page;
    await s.goto(suite.app.url('/report/quick'));
    await s.check('quick tip');
    await field(page, 'intake.quick.categoryLabel').selectOption('drugs');
    await field(page, 'intake.quick.waybillLabel').fill('JD9988776655');
    await field(page, 'intake.quick.sentenceLabel').fill('只有一句话，想再补充一些。');
    await s.navigate(() => button(page, 'intake.quick.addDetails').click());
    await s.check('full form from the quick tip', { status: 200 });
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(zh('intake.title'));
    expect(await page.getByRole('checkbox', { name: new RegExp(`^${zh('taxonomy.drugs.name')}`) }).isChecked()).toBe(true);
    expect(await field(page, 'intake.fields.waybillNumbers').inputValue()).toBe('JD9988776655');
    expect(await field(page, 'intake.description.label').inputValue()).toBe('只有一句话，想再补充一些。');
    await s.finish();
  });

  it('an employee sees one navigation bar and a short phone header, sends a quick tip, and keeps a message across an ended session', async () => {
    const shots = mode.javaScriptEnabled;
    const outlet = await createTestOutlet(suite.app, { company: '申通快递', outlet: '福田营业部', province: 'GD', city: '深圳' });
    const courier = await createEmployee(suite.app, { outletId: outlet.id });
    const s = await suite.session(mode);
    const page = s.page;
    await signIn(s, courier.phone, courier.password);
    expect(await page.getByRole('navigation').count()).toBe(1);
    expect(await page.getByRole('navigation', { name: zh('employees.nav.label') }).count()).toBe(1);
    expect(await phoneHeaderHeight(s)).toBeLessThan(160);
    if (shots) await s.screenshot('employee-home');
    // The English menu is the longest; it must fit too.
    await s.navigate(() => page.locator('.site-header .lang-switch').click());
    await s.check('employee home in English', { status: 200 });
    expect(await page.getByRole('navigation').count()).toBe(1);
    expect(await phoneHeaderHeight(s)).toBeLessThan(160);
    await s.navigate(() => page.locator('.site-header .lang-switch').click());
    await s.check('employee home', { status: 200 });
    expect(await page.getByText(/本次登录最晚保持到/).count()).toBe(1);

    const nav = page.getByRole('navigation', { name: zh('employees.nav.label') });
    await s.navigate(() => link(nav, 'employees.nav.quick').click());
    await s.check('employee quick tip', { status: 200, screenshot: shots ? 'quick-tip-employee' : undefined });
    expect(await page.getByRole('navigation').count()).toBe(1);
    expect(await phoneHeaderHeight(s)).toBeLessThan(160);
    await field(page, 'intake.quick.categoryLabel').selectOption('explosives');
    await field(page, 'intake.quick.waybillLabel').fill('ST5566778899');
    await field(page, 'intake.quick.photoLabel').setInputFiles(await photoFile('网点现场.jpg'));
    await field(page, 'intake.quick.sentenceLabel').fill(`包裹有刺鼻气味，已隔离（${mode.name}）。`);
    await s.navigate(() => button(page, 'intake.quick.send').click());
    await s.check('employee quick tip filed', { status: 200 });
    expect(new URL(page.url()).pathname).toMatch(/^\/employee\/tips\/PG-/);
    expect(await page.getByRole('main').textContent()).toContain(`包裹有刺鼻气味，已隔离（${mode.name}）。`);

    // The session ends while a message is being written: it comes back kept, then is sent.
    const message = `补充：寄件人留下的电话是空号（${mode.name}）。`;
    await page.getByLabel(zh('employees.tip.replyLabel')).fill(message);
    await suite.app.database.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 31 * 60_000) }).where('kind', '=', 'employee').execute();
    await s.navigate(() => button(page, 'employees.tip.replySubmit').click());
    await s.check('employee: sign in again', { status: 401, screenshot: shots ? 'employee-signin-again' : undefined });
    expect(await page.getByRole('main').textContent()).toContain(zh('employees.again.cause.sessionEnded'));
    expect(await page.getByLabel(zh('employees.tip.replyLabel')).inputValue()).toBe(message);
    await page.getByLabel(zh('employees.fields.phone'), { exact: true }).fill(courier.phone);
    await page.getByLabel(zh('employees.fields.password'), { exact: true }).fill(courier.password);
    await s.navigate(() => button(page, 'employees.again.submit').click());
    await s.check('employee: message sent after signing in again', { status: 200 });
    expect(await page.locator('#thread').textContent()).toContain(message);
    await s.finish();
  });
});
