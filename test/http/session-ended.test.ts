import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createTestReviewer, decodeEntities, followupLogin, submitTestReport } from '../helpers/reports.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await createTestReviewer(t, { custodian: true });
});
afterAll(async () => {
  await t.close();
});

const REPLY = '包裹是周三下午寄出的，寄件人戴着口罩，用现金付款。我写了很久，请不要丢掉这段文字。';

async function signedIn() {
  const report = await submitTestReport(t);
  await t.database.db.deleteFrom('rate_limits').execute();
  const agent = request.agent(t.publicApp);
  expect((await followupLogin(agent, report.receipt!)).status).toBe(303);
  const status = await agent.get('/followup');
  expect(status.status).toBe(200);
  return { ...report, agent, status };
}

const messageCount = async (reportId: string) =>
  Number((await t.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('report_id', '=', reportId).executeTakeFirstOrThrow()).n);

/** Nothing typed reaches a table: every row of every table, as text, is free of the reply. */
async function assertNotStored(text: string) {
  for (const table of ['sessions', 'rate_limits', 'audit_log', 'sign_in_failures'] as const) {
    const rows = await t.database.db.selectFrom(table).selectAll().execute();
    expect(JSON.stringify(rows), table).not.toContain(text.slice(0, 12));
  }
}

describe('a reply typed while the session ended', () => {
  it('comes back on the sign-in page after 15 idle minutes, kept, and is sent once the receipt is entered', async () => {
    const { agent, status, reportId: id, receipt } = await signedIn();
    expect(decodeEntities(status.text)).toMatch(/本次查询最晚保持到 .+；15 分钟无操作会提前退出/);
    await t.database.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 16 * 60_000) }).where('kind', '=', 'reporter').execute();
    const before = await messageCount(id);

    const late = await agent.post('/followup/reply').type('form').send({ _csrf: csrfTokenFrom(status.text), body: REPLY });
    expect(late.status).toBe(401);
    const html = decodeEntities(late.text);
    expect(html).toContain('15 分钟无操作后自动退出，您的回复尚未发送');
    expect(html).toContain(`>${REPLY}</textarea>`);
    expect(html).toContain('name="receipt"');
    expect(await messageCount(id)).toBe(before);
    await assertNotStored(REPLY);

    await t.database.db.deleteFrom('rate_limits').execute();
    const again = await agent.post('/followup').type('form').send({ _csrf: csrfTokenFrom(late.text), receipt, pending_reply: REPLY });
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/followup#thread');
    expect(await messageCount(id)).toBe(before + 1);
    expect(decodeEntities((await agent.get('/followup')).text)).toContain(REPLY);
  });

  it('names "signed out in another tab", not an expired form, when the CSRF token no longer matches', async () => {
    const { agent, status, reportId: id, receipt } = await signedIn();
    const otherTab = await agent.post('/followup/logout').type('form').send({ _csrf: csrfTokenFrom(status.text) });
    expect(otherTab.status).toBe(200);
    const late = await agent.post('/followup/reply').type('form').send({ _csrf: csrfTokenFrom(status.text), body: REPLY });
    expect(late.status).toBe(403);
    const html = decodeEntities(late.text);
    expect(html).toContain('您已在其他页面退出查询');
    expect(html).not.toContain('表单已过期');
    expect(html).toContain(`>${REPLY}</textarea>`);
    await t.database.db.deleteFrom('rate_limits').execute();
    const before = await messageCount(id);
    const again = await agent.post('/followup').type('form').send({ _csrf: csrfTokenFrom(late.text), receipt, pending_reply: REPLY });
    expect(again.headers.location).toBe('/followup#thread');
    expect(await messageCount(id)).toBe(before + 1);
  });

  it('names disabled cookies when the browser sent none, and still keeps the text', async () => {
    const res = await request(t.publicApp).post('/followup/reply').type('form').send({ _csrf: 'x', body: REPLY }).set('Accept-Language', 'en');
    expect(res.status).toBe(403);
    const html = decodeEntities(res.text);
    expect(html).toContain('Your browser sent no cookies');
    expect(html).toContain(`>${REPLY}</textarea>`);
  });
});

describe('any other refused form', () => {
  it('comes back with its text and the real cause instead of the generic expired-form page; secrets are never echoed', async () => {
    const note = '内部备注：与 2026-0042 号案件的寄件人相同，请并案。';
    const res = await request(t.staffApp)
      .post('/staff/cases/2026-0001/notes')
      .set('Cookie', 'pg_staff_csrf=stale')
      .type('form')
      .send({ _csrf: 'stale', body: note, password: 'hunter2-secret-password' });
    expect(res.status).toBe(403);
    const html = decodeEntities(res.text);
    expect(html).toContain('您的登录已经结束');
    expect(html).toContain(note);
    expect(html).not.toContain('hunter2-secret-password');
    const noCookies = await request(t.staffApp).post('/staff/cases/2026-0001/notes').type('form').send({ _csrf: 'x', body: note });
    expect(decodeEntities(noCookies.text)).toContain('浏览器没有发送 Cookie');
  });
});
