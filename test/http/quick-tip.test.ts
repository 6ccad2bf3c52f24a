import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createTestReviewer, followReceiptRedirect, followupLogin, hiddenFields, postReportForm, receiptFrom, type TestStaff } from '../helpers/reports.js';
import { createEmployee, createTestOutlet, type TestEmployee } from '../helpers/employees.js';
import { openJson } from '../../server/core/crypto/index.js';
import { openReportKey } from '../../server/core/reports/keys.js';
import { listReportAttachments } from '../../server/core/reports/attachments.js';
import { payloadBinding } from '../../server/core/reports/payload-binding.js';
import type { ReportPayload } from '../../server/core/reports/model.js';
import { pngBytes, signedIn, type Actor } from './case-fixtures.js';

let t: TestApp;
/** Signed in over HTTP, to open cases in the staff workspace. */
let reviewer: Actor;
/** A reviewer whose private key the test holds, to open the sealed rows directly. */
let keyHolder: TestStaff;
let courier: TestEmployee;
beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t, { custodian: true });
  keyHolder = await createTestReviewer(t);
  const outlet = await createTestOutlet(t, { company: '圆通速递', outlet: '宝安营业部', province: 'GD', city: '深圳' });
  courier = await createEmployee(t, { outletId: outlet.id });
});
afterAll(async () => {
  await t.close();
});

const SENTENCE = '面单写“茶叶”，过机看到电路板和镜头，包裹已扣在网点。';
const reportCount = async () => Number((await t.database.db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
const latestReport = () => t.database.db.selectFrom('reports').selectAll().orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
const tokenOf = (html: string) => /name="submission_token" value="([A-Za-z0-9_-]{43})"/.exec(html)?.[1];
const photo = async () => ({ name: '现场.png', body: await pngBytes(), type: 'image/png' });

const asKeyHolder = () => ({ kind: 'staff' as const, id: keyHolder.id, publicKey: keyHolder.publicKey, privateKey: keyHolder.privateKey });

async function payloadOf(row: Awaited<ReturnType<typeof latestReport>>): Promise<ReportPayload> {
  const k = await openReportKey(t.database.db, row.id, 'report', asKeyHolder());
  return openJson<ReportPayload>(k!, 'payload', row.id, new Uint8Array(row.payload_sealed), payloadBinding(row));
}

/** Posts a quick tip form page's fields (its hidden ones, then the typed ones) to where it points. */
async function postQuick(agent: TestAgent, page: string, path: string, fields: Record<string, string>, files: Awaited<ReturnType<typeof photo>>[] = [], lang = 'zh-CN') {
  const hidden = Object.fromEntries(hiddenFields(page, path).filter(([n]) => n !== '_csrf'));
  return postReportForm(agent.set('Accept-Language', lang), path, csrfTokenFrom(page), { ...hidden, ...fields }, files);
}

describe('the public quick tip', () => {
  it.each([
    ['zh-CN', '快速提交', '补充详细信息'],
    ['en', 'Quick report', 'Add details'],
  ])('is a short form in %s: a category, waybill numbers, one camera photo and one sentence', async (lang, title, addDetails) => {
    const res = await request(t.publicApp).get('/report/quick').set('Accept-Language', lang);
    expect(res.status).toBe(200);
    expect(res.text).toContain(title);
    expect(res.text).toContain(addDetails);
    const form = /<form method="post" action="\/report"[\s\S]*?<\/form>/.exec(res.text)![0];
    expect(form).toMatch(/^<form[^>]*enctype="multipart\/form-data"[^>]*>\s*<input type="hidden" name="_csrf"/);
    expect(form).toMatch(/<input type="file" id="field-files" name="files" accept="image\/\*" capture="environment"/);
    expect(form).toMatch(/<select id="field-categories" name="categories"/);
    expect(form).toMatch(/<input id="field-waybill_numbers" name="waybill_numbers"[^>]*maxlength="2000"/);
    expect(form).toMatch(/<textarea id="field-description" name="description"[^>]*maxlength="20000"/);
    expect(form).not.toMatch(/name="(sender_name|identity_name|declared_contents)"/);
    expect(tokenOf(form)).toBeDefined();
    for (const [, id] of form.matchAll(/<(?:input|textarea|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"/g)) expect(form, id).toContain(`for="${id}"`);
    expect(res.text).not.toMatch(/\b(intake|employees|taxonomy|common)\.[a-zA-Z_]+\.[a-zA-Z_]+/);
  });

  it('is offered on the landing page and on the full form', async () => {
    expect((await request(t.publicApp).get('/')).text).toContain('href="/report/quick"');
    expect((await request(t.publicApp).get('/report')).text).toContain('href="/report/quick"');
  });

  it('is stored sealed as a normal report, opens for a reviewer, and its receipt works; a second send files nothing', async () => {
    const agent = request.agent(t.publicApp);
    const page = (await agent.get('/report/quick')).text;
    const fields = { categories: 'spy_equipment', waybill_numbers: 'YT1234567890 YT1234567891', description: SENTENCE, action: 'send' };
    const before = await reportCount();
    const sent = await postQuick(agent, page, '/report', fields, [await photo()]);
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe('/report/receipt');
    const receipt = receiptFrom((await followReceiptRedirect(agent, sent)).text);
    expect(receipt).toMatch(/^\d{16}$/);
    expect(await reportCount()).toBe(before + 1);

    const row = await latestReport();
    expect(row.channel).toBe('public');
    expect(row.identity_present).toBe(false);
    expect(Buffer.from(row.payload_sealed).toString('utf8')).not.toContain('YT1234567890');
    expect(JSON.stringify(row)).not.toContain(SENTENCE);
    const payload = await payloadOf(row);
    expect(payload.description).toBe(SENTENCE);
    expect(payload.categories).toEqual(['spy_equipment']);
    // Fields the quick tip does not ask for are absent, not empty strings.
    expect(payload.parcel).toEqual({ waybillNumbers: ['YT1234567890', 'YT1234567891'] });

    const caseNumber = row.case_number;
    const casePage = await reviewer.agent.get(`/staff/cases/${caseNumber}`);
    expect(casePage.status).toBe(200);
    expect(casePage.text).toContain('YT1234567891');
    expect(casePage.text).toContain('电路板和镜头');
    const files = await listReportAttachments(t.database.db, row.id, (await openReportKey(t.database.db, row.id, 'report', asKeyHolder()))!);
    expect(files.map((f) => f.meta.name)).toEqual(['现场.png']);

    const followup = request.agent(t.publicApp);
    expect((await followupLogin(followup, receipt!)).status).toBe(303);
    const own = (await followup.get('/followup')).text;
    expect(own).toContain(caseNumber);
    expect(own).toContain('现场.png');

    const again = await postQuick(agent, page, '/report', fields);
    expect(again.status).toBe(409);
    expect(again.text).toContain('这份线索已经提交过了');
    expect(await reportCount()).toBe(before + 1);
  });

  it('comes back as the quick tip with the typed text and the photo kept when input is bad', async () => {
    const agent = request.agent(t.publicApp);
    const page = (await agent.get('/report/quick')).text;
    const before = await reportCount();
    const res = await postQuick(agent, page, '/report', { categories: '', waybill_numbers: 'SF0000111122 <b>', description: '', action: 'send' }, [await photo()]);
    expect(res.status).toBe(422);
    expect(await reportCount()).toBe(before);
    expect(res.text).toContain('快速提交');
    expect(res.text).toContain('name="form_kind" value="quick"');
    expect(res.text).toContain('value="SF0000111122 &lt;b&gt;"');
    expect(res.text).toContain('请至少选择一个类别');
    expect(res.text).toMatch(/name="staged" value="[^"]+"/);
    expect(res.text).toContain('现场.png');
    expect(tokenOf(res.text)).toBe(tokenOf(page));

    const english = await postQuick(agent, page, '/report', { categories: 'drugs', description: '', action: 'send' }, [], 'en');
    expect(english.status).toBe(422);
    expect(english.text).toContain('Quick report');
    expect(english.text).toContain('<option value="drugs" selected>');
  });

  it('"add details" opens the full form with everything typed and the photo kept, then files one report', async () => {
    const agent = request.agent(t.publicApp);
    const page = (await agent.get('/report/quick')).text;
    const details = await postQuick(agent, page, '/report', { categories: 'drugs', waybill_numbers: 'JD0012345678', description: SENTENCE, action: 'edit' }, [await photo()]);
    expect(details.status).toBe(200);
    expect(details.text).toContain('name="sender_name"');
    expect(details.text).not.toContain('name="form_kind"');
    expect(details.text).toMatch(/id="category-drugs" name="categories" value="drugs" checked|id="[^"]+" name="categories" value="drugs" checked/);
    expect(details.text).toMatch(/name="waybill_numbers"[^>]*>JD0012345678<\/textarea>/);
    expect(details.text).toContain(SENTENCE);
    expect(details.text).toContain('现场.png');
    expect(tokenOf(details.text)).toBe(tokenOf(page));
  });
});

describe("an employee's quick tip", () => {
  it('is linked from the employee home and files through the employee channel with the sealed identity, once', async () => {
    expect((await courier.agent.get('/employee')).text).toContain('href="/employee/report/quick"');
    const page = (await courier.agent.get('/employee/report/quick')).text;
    expect(page).toMatch(/<input type="file" id="field-files" name="files" accept="image\/\*" capture="environment"/);
    expect(page).toContain('href="/report/quick"'); // the anonymous way, with no tie to the account
    const fields = { categories: 'explosives', waybill_numbers: 'YT5550001112', description: SENTENCE, action: 'send' };
    const before = await reportCount();
    const sent = await postQuick(courier.agent, page, '/employee/report', fields, [await photo()]);
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toMatch(/^\/employee\/tips\/PG-[0-9A-Z]{4}-[0-9A-Z]{4}\?done=filed$/);
    expect(await reportCount()).toBe(before + 1);
    const row = await latestReport();
    expect(row.channel).toBe('employee');
    expect(row.identity_present).toBe(true);
    expect(row.consent_level).toBe('confidential');
    const payload = await payloadOf(row);
    expect(payload.description).toBe(SENTENCE);
    expect(payload.parcel).toMatchObject({ waybillNumbers: ['YT5550001112'], courierCompany: '圆通速递', outlet: '深圳 宝安营业部' });
    expect((await reviewer.agent.get(`/staff/cases/${row.case_number}`)).text).toContain('YT5550001112');

    const again = await postQuick(courier.agent, page, '/employee/report', fields);
    expect(again.status).toBe(409);
    expect(again.text).toContain('这份线索已经提交过了');
    expect(await reportCount()).toBe(before + 1);
  });

  it('keeps what was typed on a bad send and stays the quick tip', async () => {
    const page = (await courier.agent.get('/employee/report/quick')).text;
    const res = await postQuick(courier.agent, page, '/employee/report', { categories: 'explosives', waybill_numbers: 'ZT12', description: '', action: 'send' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('name="form_kind" value="quick"');
    expect(res.text).toContain('value="ZT12"');
    expect(res.text).toContain('<option value="explosives" selected>');
    expect(tokenOf(res.text)).toBe(tokenOf(page));
  });

  it('"add details" opens the full employee form with everything kept and files nothing', async () => {
    const page = (await courier.agent.get('/employee/report/quick')).text;
    const before = await reportCount();
    const res = await postQuick(courier.agent, page, '/employee/report', { categories: 'explosives', waybill_numbers: 'YT5550009999', description: SENTENCE, action: 'edit' }, [await photo()]);
    expect(res.status).toBe(200);
    expect(await reportCount()).toBe(before);
    expect(res.text).toContain('name="sender_name"');
    expect(res.text).not.toContain('name="form_kind"');
    expect(res.text).toContain(SENTENCE);
    expect(res.text).toContain('现场.png');
    expect(tokenOf(res.text)).toBe(tokenOf(page));
  });

  it('the full employee form is once-only too', async () => {
    const page = (await courier.agent.get('/employee/report')).text;
    const fields = { categories: 'drugs', description: '完整表单也只提交一次。', immediate_danger: 'no', action: 'send' };
    const before = await reportCount();
    expect((await postQuick(courier.agent, page, '/employee/report', { ...fields, identity_choice: 'confidential' })).status).toBe(303);
    expect((await postQuick(courier.agent, page, '/employee/report', { ...fields, identity_choice: 'confidential' })).status).toBe(409);
    expect(await reportCount()).toBe(before + 1);
  });
});
