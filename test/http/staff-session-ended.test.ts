import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { decodeEntities } from '../helpers/reports.js';
import { nextTotpCode } from '../helpers/staff.js';
import { fileReport, signedIn, type Actor } from './case-fixtures.js';

// Staff side: a case form posted after the staff session ended comes back with
// the text kept (in the response only), names the real cause, and is sent after signing in again.

let t: TestApp;
let reviewer: Actor;
beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t);
});
afterAll(async () => {
  await t.close();
});

const NOTE = '寄件人第三次用同一个假名寄出同款包裹，建议比对三月份的两单。这段备注写了很久，不能丢。';

const countRows = async (table: 'notes' | 'messages', reportId: string) =>
  Number((await t.database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('report_id', '=', reportId).executeTakeFirstOrThrow()).n);

/** No table holds the kept text in clear: not the sessions, the audit log, the rate limits. */
async function assertNotStored(text: string) {
  for (const table of ['sessions', 'audit_log', 'rate_limits', 'sign_in_failures'] as const) {
    expect(JSON.stringify(await t.database.db.selectFrom(table).selectAll().execute()), table).not.toContain(text.slice(0, 10));
  }
}

async function openCasePage(actor: Actor) {
  const report = await fileReport(t, {});
  const page = await actor.agent.get(`/staff/cases/${report.caseNumber}`);
  expect(page.status).toBe(200);
  return { ...report, page };
}

describe('a staff form posted after the session ended', () => {
  it('shows until when the session lasts, as static text', async () => {
    const page = await reviewer.agent.get('/staff');
    expect(decodeEntities(page.text)).toMatch(/<span class="session-until">登录有效至 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}</);
    expect(decodeEntities((await reviewer.agent.get('/staff').set('Accept-Language', 'en')).text)).toMatch(/Signed in until \d/);
  });

  it('after 30 idle minutes: the note comes back kept, the cause is the ended session, and signing in again sends it', async () => {
    const actor = await signedIn(t);
    const { page, caseNumber, reportId } = await openCasePage(actor);
    await t.database.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 31 * 60_000) }).where('kind', '=', 'staff').where('principal_id', '=', actor.staff.id).execute();
    const before = await countRows('notes', reportId);

    const late = await actor.agent.post(`/staff/cases/${caseNumber}/notes`).type('form').send({ _csrf: csrfTokenFrom(page.text), body: NOTE });
    expect(late.status).toBe(401);
    const html = decodeEntities(late.text);
    expect(html).toContain('您的登录已经结束（30 分钟无操作');
    expect(html).not.toContain('表单已过期');
    expect(html).toContain(`name="kept_body" rows="6">${NOTE}</textarea>`);
    expect(html).toContain(`name="resume_action" value="/staff/cases/${caseNumber}/notes"`);
    expect(html).toMatch(/name="password"[\s\S]*name="code"/);
    expect(await countRows('notes', reportId)).toBe(before);
    await assertNotStored(NOTE);

    const again = await actor.agent.post('/staff/login').type('form').send({
      _csrf: csrfTokenFrom(late.text), username: actor.staff.username, password: actor.staff.password, code: await nextTotpCode(actor.staff),
      resume_action: `/staff/cases/${caseNumber}/notes`, kept_body: NOTE,
    });
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe(`/staff/cases/${caseNumber}?done=note`);
    expect(await countRows('notes', reportId)).toBe(before + 1);
    expect(decodeEntities((await actor.agent.get(`/staff/cases/${caseNumber}`)).text)).toContain(NOTE);
  });

  it('after signing out in another tab: a message to the reporter is kept, says so, and a wrong password keeps it still', async () => {
    const actor = await signedIn(t);
    const { page, caseNumber, reportId } = await openCasePage(actor);
    expect((await actor.agent.post('/staff/logout').type('form').send({ _csrf: csrfTokenFrom(page.text) })).status).toBe(303);
    const before = await countRows('messages', reportId);
    const message = '您好，我们已收到线索。请问包裹现在是否仍在网点？';

    const late = await actor.agent.post(`/staff/cases/${caseNumber}/messages`).type('form').send({ _csrf: csrfTokenFrom(page.text), body: message });
    expect(late.status).toBe(403);
    let html = decodeEntities(late.text);
    expect(html).toContain('您已在其他页面退出登录');
    expect(html).not.toMatch(/表单已过期|禁用了 Cookie/);
    expect(html).toContain(`>${message}</textarea>`);

    const wrong = await actor.agent.post('/staff/login').type('form').send({
      _csrf: csrfTokenFrom(late.text), username: actor.staff.username, password: 'not the password', code: '000000',
      resume_action: `/staff/cases/${caseNumber}/messages`, kept_body: message,
    });
    expect(wrong.status).toBe(401);
    html = decodeEntities(wrong.text);
    expect(html).toContain(`>${message}</textarea>`);
    expect(html).not.toContain('not the password');

    const ok = await actor.agent.post('/staff/login').type('form').send({
      _csrf: csrfTokenFrom(wrong.text), username: actor.staff.username, password: actor.staff.password, code: await nextTotpCode(actor.staff),
      resume_action: `/staff/cases/${caseNumber}/messages`, kept_body: message,
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`/staff/cases/${caseNumber}?done=message`);
    expect(await countRows('messages', reportId)).toBeGreaterThan(before);
    await assertNotStored(message);
  });

  it('keeps a triage change (choices travel as hidden fields) and applies it after signing in', async () => {
    const actor = await signedIn(t);
    const { page, caseNumber, reportId } = await openCasePage(actor);
    await t.database.db.deleteFrom('sessions').where('kind', '=', 'staff').where('principal_id', '=', actor.staff.id).execute();
    const late = await actor.agent.post(`/staff/cases/${caseNumber}/severity`).type('form').send({ _csrf: csrfTokenFrom(page.text), severity: 'critical' });
    expect(late.status).toBe(401);
    expect(late.text).toContain('name="kept_severity" value="critical"');
    const ok = await actor.agent.post('/staff/login').type('form').send({
      _csrf: csrfTokenFrom(late.text), username: actor.staff.username, password: actor.staff.password, code: await nextTotpCode(actor.staff),
      resume_action: `/staff/cases/${caseNumber}/severity`, kept_severity: 'critical',
    });
    expect(ok.headers.location).toBe(`/staff/cases/${caseNumber}?done=severity`);
    const row = await t.database.db.selectFrom('reports').select('severity').where('id', '=', reportId).executeTakeFirstOrThrow();
    expect(row.severity).toBe('critical');
  });

  it('replays only case forms: any other resume target is ignored and the sign-in lands on the queue', async () => {
    const actor = await signedIn(t);
    const page = await actor.agent.get('/staff/login');
    const res = await actor.agent.post('/staff/login').type('form').send({
      _csrf: csrfTokenFrom(page.text), username: actor.staff.username, password: actor.staff.password, code: await nextTotpCode(actor.staff),
      resume_action: '/staff/admin/staff', kept_body: 'x',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/staff');
  });
});
