import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createTestReviewer, decodeEntities, hiddenFields, postReportForm } from '../helpers/reports.js';
import { createEmployee, createTestOutlet, loginEmployee, type TestEmployee } from '../helpers/employees.js';
import { pngBytes } from './case-fixtures.js';

let t: TestApp;
let courier: TestEmployee;
beforeAll(async () => {
  t = await createTestApp();
  await createTestReviewer(t, { custodian: true });
  const outlet = await createTestOutlet(t, { company: '韵达快递', outlet: '南山营业部', province: 'GD', city: '深圳' });
  courier = await createEmployee(t, { outletId: outlet.id });
});
afterAll(async () => {
  await t.close();
});

const MESSAGE = '补充：寄件人今天又来了一次，换了一个手机号，包裹仍在网点。这段我写了很久，请不要丢掉。';
const DESCRIPTION = '面单写“五金配件”，过机看到成捆的手机卡和无线模块，寄件人催促尽快发出。';

const count = async (table: 'reports' | 'messages') =>
  Number((await t.database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

/** A fresh signed-in agent with one filed tip; returns the tip page (with its reply form). */
async function withTip(): Promise<{ agent: TestAgent; caseNumber: string; page: string }> {
  await t.database.db.deleteFrom('rate_limits').execute();
  const agent = await loginEmployee(t, courier);
  const form = (await agent.get('/employee/report/quick')).text;
  const hidden = Object.fromEntries(hiddenFields(form, '/employee/report').filter(([n]) => n !== '_csrf'));
  const filed = await postReportForm(agent, '/employee/report', csrfTokenFrom(form), { ...hidden, categories: 'drugs', description: '一条已提交的线索。', action: 'send' });
  expect(filed.status).toBe(303);
  const caseNumber = /\/employee\/tips\/([^?]+)/.exec(filed.headers.location!)![1]!;
  const page = (await agent.get(`/employee/tips/${caseNumber}`)).text;
  return { agent, caseNumber, page };
}

const idleOut = () => t.database.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 31 * 60_000) }).where('kind', '=', 'employee').execute();

/** Nothing typed reaches a table that is not sealed. */
async function assertNotStored(text: string) {
  for (const table of ['sessions', 'rate_limits', 'audit_log', 'sign_in_failures'] as const) {
    expect(JSON.stringify(await t.database.db.selectFrom(table).selectAll().execute()), table).not.toContain(text.slice(0, 12));
  }
}

describe('an employee whose session ended while writing', () => {
  it('shows until when the session lasts, as static text', async () => {
    const { page } = await withTip();
    expect(decodeEntities(page)).toMatch(/本次登录最晚保持到 .+；30 分钟无操作会提前退出/);
  });

  it('gets a message back after 30 idle minutes, kept with the real cause, and sends it after signing in on the same page', async () => {
    const { agent, caseNumber, page } = await withTip();
    await idleOut();
    const before = await count('messages');
    const late = await agent.post(`/employee/tips/${caseNumber}/messages`).type('form').send({ _csrf: csrfTokenFrom(page), body: MESSAGE });
    expect(late.status).toBe(401);
    const html = decodeEntities(late.text);
    expect(html).toContain('您的登录已经结束（30 分钟无操作');
    expect(html).toContain(`>${MESSAGE}</textarea>`);
    expect(html).toContain('name="password"');
    expect(html).toContain(`action="/employee/tips/${caseNumber}/messages/resume"`);
    expect(await count('messages')).toBe(before);
    await assertNotStored(MESSAGE);

    const wrong = await agent.post(`/employee/tips/${caseNumber}/messages/resume`).type('form').send({ _csrf: csrfTokenFrom(late.text), body: MESSAGE, phone: courier.phone, password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(decodeEntities(wrong.text)).toContain(`>${MESSAGE}</textarea>`);
    expect(wrong.text).toContain(`value="${courier.phone}"`);
    expect(await count('messages')).toBe(before);

    const sent = await agent.post(`/employee/tips/${caseNumber}/messages/resume`).type('form').send({ _csrf: csrfTokenFrom(wrong.text), body: MESSAGE, phone: courier.phone, password: courier.password });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe(`/employee/tips/${caseNumber}?done=sent#thread`);
    expect(await count('messages')).toBe(before + 1);
    expect(decodeEntities((await agent.get(`/employee/tips/${caseNumber}`)).text)).toContain(MESSAGE);
  });

  it('names "signed out on another page", not an expired form, when the CSRF token no longer matches', async () => {
    const { agent, caseNumber, page } = await withTip();
    expect((await agent.post('/employee/logout').type('form').send({ _csrf: csrfTokenFrom(page) })).status).toBe(303);
    const late = await agent.post(`/employee/tips/${caseNumber}/messages`).type('form').send({ _csrf: csrfTokenFrom(page), body: MESSAGE });
    expect(late.status).toBe(403);
    const html = decodeEntities(late.text);
    expect(html).toContain('您已在其他页面退出登录');
    expect(html).not.toContain('表单已过期');
    expect(html).toContain(`>${MESSAGE}</textarea>`);
    const before = await count('messages');
    const sent = await agent.post(`/employee/tips/${caseNumber}/messages/resume`).type('form').send({ _csrf: csrfTokenFrom(late.text), body: MESSAGE, phone: courier.phone, password: courier.password });
    expect(sent.status).toBe(303);
    expect(await count('messages')).toBe(before + 1);
  });

  it('names disabled cookies when the browser sent none', async () => {
    const res = await request(t.publicApp).post('/employee/tips/PG-AAAA-AAAA/messages').type('form').send({ _csrf: 'x', body: MESSAGE }).set('Accept-Language', 'en');
    expect(res.status).toBe(403);
    const html = decodeEntities(res.text);
    expect(html).toContain('Your browser sent no cookies');
    expect(html).toContain(`>${MESSAGE}</textarea>`);
  });

  it('gets a report with a photo back kept after signing out in another tab, and files it once after signing in', async () => {
    const { agent } = await withTip();
    const form = (await agent.get('/employee/report/quick')).text;
    expect((await agent.post('/employee/logout').type('form').send({ _csrf: csrfTokenFrom(form) })).status).toBe(303);
    const hidden = Object.fromEntries(hiddenFields(form, '/employee/report').filter(([n]) => n !== '_csrf'));
    const before = await count('reports');
    const photo = { name: '现场.png', body: await pngBytes(), type: 'image/png' };
    const late = await postReportForm(agent, '/employee/report', csrfTokenFrom(form), { ...hidden, categories: 'suspicious_pattern', waybill_numbers: 'YD2718281828', description: DESCRIPTION, action: 'send' }, [photo]);
    expect(late.status).toBe(403);
    const html = decodeEntities(late.text);
    expect(html).toContain('您已在其他页面退出登录');
    expect(html).not.toContain('表单已过期');
    expect(html).toContain(`>${DESCRIPTION}</textarea>`);
    expect(html).toContain('您这次选择的 1 个文件没有收到');
    expect(await count('reports')).toBe(before);
    await assertNotStored(DESCRIPTION);
    const kept = Object.fromEntries(hiddenFields(late.text, '/employee/report/resume').filter(([n]) => n !== '_csrf'));
    expect(kept).toMatchObject({ categories: 'suspicious_pattern', waybill_numbers: 'YD2718281828', submission_token: hidden.submission_token });
    const sent = await agent.post('/employee/report/resume').type('form').send({ _csrf: csrfTokenFrom(late.text), ...kept, description: DESCRIPTION, phone: courier.phone, password: courier.password });
    expect(sent.status).toBe(303);
    expect(await count('reports')).toBe(before + 1);
  });

  it('gets a report back kept (files named as not received), then files it once after signing in', async () => {
    const { agent } = await withTip();
    const form = (await agent.get('/employee/report/quick')).text;
    await idleOut();
    const hidden = Object.fromEntries(hiddenFields(form, '/employee/report').filter(([n]) => n !== '_csrf'));
    const before = await count('reports');
    const photo = { name: '现场.png', body: await pngBytes(), type: 'image/png' };
    const late = await postReportForm(agent, '/employee/report', csrfTokenFrom(form), { ...hidden, categories: 'suspicious_pattern', waybill_numbers: 'YD3141592653', description: DESCRIPTION, action: 'send' }, [photo]);
    expect(late.status).toBe(401);
    const html = decodeEntities(late.text);
    expect(html).toContain('您的登录已经结束');
    expect(html).toContain(`>${DESCRIPTION}</textarea>`);
    expect(html).toContain('您这次选择的 1 个文件没有收到');
    expect(await count('reports')).toBe(before);
    await assertNotStored(DESCRIPTION);

    const kept = Object.fromEntries(hiddenFields(late.text, '/employee/report/resume').filter(([n]) => n !== '_csrf'));
    expect(kept).toMatchObject({ categories: 'suspicious_pattern', waybill_numbers: 'YD3141592653', submission_token: hidden.submission_token, form_kind: 'quick' });
    const resume = (csrf: string) =>
      agent.post('/employee/report/resume').type('form').send({ _csrf: csrf, ...kept, description: DESCRIPTION, phone: courier.phone, password: courier.password });
    const sent = await resume(csrfTokenFrom(late.text));
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toMatch(/^\/employee\/tips\/PG-[0-9A-Z]{4}-[0-9A-Z]{4}\?done=filed$/);
    expect(await count('reports')).toBe(before + 1);
    // The same page sent again (Back, resubmit) files nothing: its CSRF token belonged to the ended
    // session, and even with a fresh one the form's one-time token is spent.
    expect((await resume(csrfTokenFrom(late.text))).status).toBe(403);
    const again = await resume(csrfTokenFrom((await agent.get('/employee')).text));
    expect(again.status).toBe(409);
    expect(await count('reports')).toBe(before + 1);
  });
});
