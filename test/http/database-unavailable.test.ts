import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import sharp from 'sharp';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createEmployee } from '../helpers/employees.js';
import { createTestReviewer, decodeEntities, followReceiptRedirect, followupLogin, hiddenFields, postReportForm, receiptFrom, submitTestReport } from '../helpers/reports.js';
import { openPostgres, type Database } from '../../server/core/db/index.js';

/**
 * While the database cannot be reached, every form that carries typed text comes back with that
 * text and a translated "nothing was sent, try again" notice (503), never the generic error page;
 * once the database is back, pressing the button again goes through.
 *
 * "Unreachable" is a real pg pool pointed at a port nothing listens on (ECONNREFUSED), swapped in
 * for the app's database between requests, so the same test runs under PostgreSQL and PGlite.
 */
let t: TestApp;
let real: Database;
let unreachable: Database;
beforeAll(async () => {
  t = await createTestApp();
  await createTestReviewer(t, { custodian: true });
  real = t.ctx.database;
  unreachable = openPostgres('postgres://postgres@127.0.0.1:1/none', 2);
});
afterEach(() => useDatabase(real));
afterAll(async () => {
  useDatabase(real);
  await unreachable.close();
  await t.close();
});

function useDatabase(database: Database): void {
  (t.ctx as { database: Database }).database = database;
}

const reportCount = async () => Number((await real.db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
const textarea = (html: string, name: string) => decodeEntities(new RegExp(`<textarea[^>]*name="${name}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html)?.[1] ?? '');

describe('the public report form while the database is unreachable', () => {
  it('re-renders every typed value with a translated notice, keeps staged files, and sends on retry', async () => {
    const agent = request.agent(t.publicApp);
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#345678' } }).png().toBuffer();
    const description = '过机发现申报为“五金配件”的包裹内有银白色金属锭，寄件人拒绝实名。';
    const fields = {
      categories: ['strategic_minerals', 'identity_refused'],
      description,
      waybill_numbers: 'SF7788990011',
      province: 'GD',
      immediate_danger: 'no',
      identity_choice: 'anonymous',
    };
    // First attempt (database up) is incomplete on purpose: the photo is staged, the form comes back.
    const form = await agent.get('/report');
    const first = await postReportForm(agent, '/report', csrfTokenFrom(form.text), { ...fields, description: '', action: 'review' }, [{ name: '面单.png', body: png, type: 'image/png' }]);
    expect(first.status).toBe(422);
    const staged = hiddenFields(first.text).filter(([name]) => name === 'staging_key' || name === 'staged');
    expect(staged.map(([name]) => name)).toEqual(['staging_key', 'staged']);

    // The database goes away; the reporter fills in the description, adds another file and sends.
    useDatabase(unreachable);
    const before = Date.now();
    const down = await postReportForm(agent, '/report', csrfTokenFrom(first.text), { ...Object.fromEntries(staged), ...fields, action: 'send' }, [
      { name: '第二张.png', body: png, type: 'image/png' },
    ]);
    expect(Date.now() - before).toBeLessThan(10_000);
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('30');
    expect(down.text).toContain('服务暂时不可用');
    expect(down.text).toContain('您填写的所有内容都保留在下面的表单中');
    expect(down.text).toContain('您之前附上的 1 个文件仍在暂存中');
    expect(down.text).toContain('本次选择的 1 个文件未能保存');
    expect(textarea(down.text, 'description')).toBe(description);
    expect(textarea(down.text, 'waybill_numbers')).toBe('SF7788990011');
    expect(down.text).toMatch(/value="strategic_minerals"[^>]*checked/);
    expect(down.text).toMatch(/value="identity_refused"[^>]*checked/);
    expect(down.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:1|at .*\.ts:\d+/);
    // The staged photo is carried by id (its name is sealed in a row that cannot be read now).
    expect(hiddenFields(down.text).filter(([name]) => name === 'staging_key' || name === 'staged')).toEqual(staged);

    // The database is back: the reporter presses the button again on the page they were shown.
    useDatabase(real);
    const count = await reportCount();
    const hidden = hiddenFields(down.text).filter(([name]) => name !== '_csrf');
    const retry = await postReportForm(agent, '/report', csrfTokenFrom(down.text), { ...Object.fromEntries(groupFields(hidden)), ...fields, action: 'review' });
    expect(retry.status).toBe(200);
    expect(retry.text).toContain('面单.png');
    let send = agent.post('/report').field('_csrf', csrfTokenFrom(retry.text));
    for (const [name, value] of hiddenFields(retry.text).filter(([name]) => name !== '_csrf')) send = send.field(name, value);
    const sent = await followReceiptRedirect(agent, await send.field('action', 'send'));
    expect(receiptFrom(sent.text)).toMatch(/^\d{16}$/);
    expect(await reportCount()).toBe(count + 1);
    const report = await real.db.selectFrom('reports').select(['id', 'attachment_count']).orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(report.attachment_count).toBe(1);
  });

  it('keeps the text when the database is gone before the form is even read (urlencoded, no files)', async () => {
    const agent = request.agent(t.publicApp);
    const form = await agent.get('/report');
    useDatabase(unreachable);
    const res = await agent
      .post('/report')
      .type('form')
      .send({ _csrf: csrfTokenFrom(form.text), categories: 'drugs', description: '包裹内有可疑白色粉末，气味刺鼻。', action: 'review' });
    expect(res.status).toBe(503);
    expect(textarea(res.text, 'description')).toBe('包裹内有可疑白色粉末，气味刺鼻。');
    expect(res.text).not.toContain('本次选择的');
  });
});

describe('follow-up and employee forms while the database is unreachable', () => {
  it('gives the reporter their reply and file note back, and the reply goes through afterwards', async () => {
    const { receipt } = await submitTestReport(t);
    const agent = request.agent(t.publicApp);
    expect((await followupLogin(agent, receipt!)).status).toBe(303);
    const page = await agent.get('/followup');
    useDatabase(unreachable);
    const reply = await agent.post('/followup/reply').type('form').send({ _csrf: csrfTokenFrom(page.text), body: '包裹还在网点，已暂扣。' });
    expect(reply.status).toBe(503);
    expect(reply.text).toContain('服务暂时不可用');
    expect(textarea(reply.text, 'body')).toBe('包裹还在网点，已暂扣。');
    const files = await postReportForm(agent, '/followup/files', csrfTokenFrom(page.text), { note: '补充的面单照片' }, [
      { name: 'a.txt', body: Buffer.from('x'), type: 'text/plain' },
    ]);
    expect(files.status).toBe(503);
    expect(textarea(files.text, 'note')).toBe('补充的面单照片');
    expect(files.text).toContain('本次选择的 1 个文件未能保存');

    // A consent upgrade with a name typed in comes back as typed, ready to send again.
    const consent = await agent.post('/followup/consent').type('form').send({ _csrf: csrfTokenFrom(page.text), consent: 'confidential', identity_name: '周九', identity_phone: '13500003333' });
    expect(consent.status).toBe(503);
    expect(consent.text).toMatch(/name="consent" value="confidential" checked/);
    expect(consent.text).toMatch(/name="identity_name"[^>]*value="周九"/);
    expect(consent.text).toMatch(/name="identity_phone"[^>]*value="13500003333"/);

    useDatabase(real);
    const again = await agent.post('/followup/reply').type('form').send({ _csrf: csrfTokenFrom(reply.text), body: textarea(reply.text, 'body') });
    expect(again.status).toBe(303);
    expect((await agent.get('/followup')).text).toContain('包裹还在网点，已暂扣。');
  });

  it('gives the employee their tip back even though the session check itself needs the database', async () => {
    const employee = await createEmployee(t);
    const form = await employee.agent.get('/employee/report');
    expect(form.status).toBe(200);
    useDatabase(unreachable);
    const res = await postReportForm(employee.agent, '/employee/report', csrfTokenFrom(form.text), {
      categories: 'firearms',
      description: '收寄时 X 光显示疑似枪管形状的金属件。',
      waybill_numbers: 'YT1122334455',
      identity_choice: 'confidential',
      action: 'send',
    });
    expect(res.status).toBe(503);
    expect(res.text).toContain('服务暂时不可用');
    expect(textarea(res.text, 'description')).toBe('收寄时 X 光显示疑似枪管形状的金属件。');
    expect(textarea(res.text, 'waybill_numbers')).toBe('YT1122334455');
    expect(res.text).not.toContain(employee.name);
  });
});

/** Repeated hidden fields (staged ids) become one array entry for postReportForm. */
function groupFields(pairs: [string, string][]): [string, string | string[]][] {
  const map = new Map<string, string[]>();
  for (const [name, value] of pairs) map.set(name, [...(map.get(name) ?? []), value]);
  return [...map].map(([name, values]) => [name, values.length === 1 ? values[0]! : values]);
}

