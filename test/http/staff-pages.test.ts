import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff, signIn, nextTotpCode, staffCookieHeader, staffSession, type TestStaff } from '../helpers/staff.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createStaffAccount } from '../../server/core/accounts/service.js';
import { createTestReviewer } from '../helpers/reports.js';

let t: TestApp;
let admin: TestStaff;
let adminCookie: string;
beforeAll(async () => {
  t = await createTestApp();
  admin = await createStaff(t, { role: 'admin' });
  adminCookie = await staffSession(t, admin);
});
afterAll(async () => {
  await t.close();
});

/** Checks a page for what the CSP and the accessibility rules of this project demand. */
function expectWellFormed(html: string, label: string): void {
  expect(html, label).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
  expect(html, label).not.toMatch(/<style|\sstyle="/i);
  expect(html, label).not.toMatch(/https?:\/\/(?!www\.12339\.gov\.cn|127\.0\.0\.1|www\.w3\.org\/2000\/svg)/);
  expect(html, label).not.toMatch(/>\s*staff\.[a-zA-Z.]+\s*</); // an untranslated key
  for (const form of html.match(/<form[^>]*method="post"[\s\S]*?<\/form>/g) ?? []) {
    expect(form, label).toMatch(/name="_csrf" value="[^"]+"/);
  }
  // Every visible input, select and textarea has a label pointing at it.
  for (const [, tag, id] of html.matchAll(/<(input|select|textarea)\b(?![^>]*type="(?:hidden|submit)")(?![^>]*\shidden[\s>])[^>]*\bid="([^"]+)"/g)) {
    expect(html, `${label}: label for ${tag}#${id}`).toMatch(new RegExp(`<label[^>]*for="${id}"`));
  }
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  expect(new Set(ids).size, `${label}: duplicate ids`).toBe(ids.length);
}

describe('staff pages', () => {
  it('are well-formed, translated and script-free in both languages', async () => {
    const link = await createStaffAccount({ db: t.ctx.database.db, kdf: t.ctx.kdf, config: t.config }, { username: 'page.check', role: 'reviewer', isCustodian: false }, { kind: 'cli' });
    if (link === 'taken') throw new Error('taken');
    // A custodian with someone waiting for approval, so the approval form is on the page.
    const custodianCookie = await staffSession(t, await createStaff(t, { custodian: true }));
    await createTestReviewer(t, { approved: false });
    const pages: Array<[string, string | null]> = [
      ['/staff/login', null],
      ['/staff/recover', null],
      [new URL(link.url).pathname, null],
      ['/staff/enrol/' + 'Z'.repeat(43), null],
      ['/staff/account/password', adminCookie],
      ['/staff/admin/staff', adminCookie],
      [`/staff/admin/staff/${admin.id}/deactivate`, adminCookie],
      ['/staff/account', adminCookie],
      ['/staff/account', custodianCookie],
      ['/staff/keyholders', custodianCookie],
    ];
    for (const lang of ['zh-CN', 'en']) {
      for (const [path, cookie] of pages) {
        const res = await request(t.staffApp).get(path).set('Accept-Language', lang).set('Cookie', cookie ? staffCookieHeader(t, cookie) : '');
        expect([200, 404], `${lang} ${path}`).toContain(res.status);
        expect(res.text).toContain(lang === 'en' ? '<html lang="en">' : '<html lang="zh-Hans">');
        expectWellFormed(res.text, `${lang} ${path}`);
      }
    }
  });

  it('the enrolment steps and form errors are well-formed too', async () => {
    const link = await createStaffAccount({ db: t.ctx.database.db, kdf: t.ctx.kdf, config: t.config }, { username: 'steps.check', role: 'admin', isCustodian: false }, { kind: 'cli' });
    if (link === 'taken') throw new Error('taken');
    const agent = request.agent(t.staffApp);
    const path = new URL(link.url).pathname;
    const form = await agent.get(path);
    const bad = await agent.post(path).type('form').send({ _csrf: csrfTokenFrom(form.text), newPassword: 'short' });
    expectWellFormed(bad.text, 'password errors');
    await agent.post(path).type('form').send({ _csrf: csrfTokenFrom(form.text), newPassword: 'copper kettle meadow lane', newPasswordConfirm: 'copper kettle meadow lane' });
    const recovery = await agent.get('/staff/enrol/recovery');
    expectWellFormed(recovery.text, 'recovery');
    expectWellFormed((await agent.post('/staff/enrol/recovery').type('form').send({ _csrf: csrfTokenFrom(recovery.text) })).text, 'recovery errors');
    await agent.post('/staff/enrol/recovery').type('form').send({ _csrf: csrfTokenFrom(recovery.text), stored: 'yes' });
    const totp = await agent.get('/staff/enrol/totp');
    expectWellFormed(totp.text, 'totp');
    expectWellFormed((await agent.post('/staff/enrol/totp').type('form').send({ _csrf: csrfTokenFrom(totp.text), code: 'abc' })).text, 'totp errors');
    const login = await signIn(t.staffApp, { username: 'x', password: '', code: '' });
    expectWellFormed(login.res.text, 'login errors');
  });

  it('never log passwords, codes, tokens or recovery keys', async () => {
    const staff = await createStaff(t);
    const code = await nextTotpCode(staff);
    await signIn(t.staffApp, { username: staff.username, password: staff.password, code });
    await signIn(t.staffApp, { username: staff.username, password: 'a wrong password typed', code: '000000' });
    const logs = t.logs.join('');
    expect(logs).toContain('"route":"/staff/login"');
    for (const secret of [staff.password, 'a wrong password typed', code, staff.recoveryKey, staff.totpSecret]) expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(/\/staff\/enrol\/[A-Za-z0-9_-]{43}/);
  });
});
