import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createEmployee, createTestOutlet, type TestEmployee } from '../helpers/employees.js';
import { createTestReviewer, postReportForm, type TestStaff } from '../helpers/reports.js';
import { fromUtf8, openJson, openRecord } from '../../server/core/crypto/index.js';
import { openReportKey } from '../../server/core/reports/keys.js';
import { appendMessage, messageContext, messageBinding } from '../../server/core/reports/messages.js';
import { payloadBinding } from '../../server/core/reports/payload-binding.js';
import type { IdentityRecord, ReportPayload } from '../../server/core/reports/model.js';

let t: TestApp;
let custodian: TestStaff;
let reviewer: TestStaff;
let alice: TestEmployee;
let bob: TestEmployee;
beforeAll(async () => {
  t = await createTestApp();
  custodian = await createTestReviewer(t, { custodian: true });
  reviewer = await createTestReviewer(t);
  const outlet = await createTestOutlet(t, { company: '中通快递', outlet: '龙岗营业部', province: 'GD', city: '深圳' });
  alice = await createEmployee(t, { outletId: outlet.id, name: '周晓燕', employeeNumber: 'ZTO-5520' });
  bob = await createEmployee(t, { outletId: outlet.id });
});
afterAll(async () => {
  await t.close();
});

const asStaff = (s: TestStaff) => ({ kind: 'staff' as const, id: s.id, publicKey: s.publicKey, privateKey: s.privateKey });
const TIP = {
  categories: 'spy_equipment',
  description: '过机时发现申报为“充电宝”的包裹内有镜头模组和天线，寄件人要求不要拆验。',
  immediate_danger: 'no',
  waybill_numbers: 'ZT7712345678\nZT7712345679',
  noticed_how: 'xray_screening',
  parcel_location: 'held',
  sender_name: '张某',
  sender_phone: '13911112222',
  identity_choice: 'confidential',
};

/** The case numbers each employee filed here: the database no longer says whose a tip is. */
const filedBy = new Map<TestAgent, string[]>();

async function fileTip(agent: TestAgent, fields: Record<string, string | string[]> = TIP, files: Parameters<typeof postReportForm>[4] = []) {
  const form = await agent.get('/employee/report');
  // What a browser would send back untouched: the prefilled company, outlet and province.
  const fresh = Object.fromEntries([...form.text.matchAll(/name="(courier_company|outlet)"[^>]*value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const province = /<select[^>]*name="province"[\s\S]*?<option value="([A-Z]{2})" selected>/.exec(form.text)?.[1] ?? '';
  const res = await postReportForm(agent, '/employee/report', csrfTokenFrom(form.text), { ...fresh, province, ...fields, action: 'send' }, files);
  if (res.status === 303) filedBy.set(agent, [...(filedBy.get(agent) ?? []), caseOf(res.headers.location!)]);
  return res;
}

async function reportByCase(caseNumber: string) {
  return t.database.db.selectFrom('reports').selectAll().where('case_number', '=', caseNumber).executeTakeFirstOrThrow();
}

const caseOf = (location: string) => /\/employee\/tips\/(PG-[0-9A-Z]{4}-[0-9A-Z]{4})/.exec(location)![1]!;

describe('the employee tip form', () => {
  it('is prefilled from the outlet, attaches identity confidentially by default and links to the anonymous form', async () => {
    const res = await alice.agent.get('/employee/report');
    expect(res.status).toBe(200);
    expect(res.text).toContain('value="中通快递"');
    expect(res.text).toContain('value="深圳 龙岗营业部"');
    expect(res.text).toMatch(/<option value="GD" selected>/);
    expect(res.text).toContain('value="confidential" checked');
    expect(res.text).toContain('href="/report"');
    expect(res.text).not.toContain('name="identity_name"');
    expect(res.text).not.toMatch(/\b(intake|employees|taxonomy|common)\.[a-zA-Z_]+\.[a-zA-Z_]+/);
    const form = /<form method="post" action="\/employee\/report"[\s\S]*?<\/form>/.exec(res.text)![0];
    expect(form).toMatch(/^<form[^>]*>\s*<input type="hidden" name="_csrf"/);
    for (const [, id] of form.matchAll(/<(?:input|textarea|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"/g)) expect(form, id).toContain(`for="${id}"`);
  });

  it('files a tip on the employee channel with the sealed identity and a reporter key of its own', async () => {
    const res = await fileTip(alice.agent);
    expect(res.status).toBe(303);
    const caseNumber = caseOf(res.headers.location!);
    const report = await reportByCase(caseNumber);
    expect(report.channel).toBe('employee');
    expect(report.employee_tip_tag).not.toBeNull();
    expect(report.identity_present).toBe(true);
    expect(report.consent_level).toBe('confidential');
    expect(report.receipt_lookup_hash).toBeNull();
    expect(report.province).toBe('GD');
    const account = await t.database.db.selectFrom('employees').select('public_key').where('id', '=', alice.id).executeTakeFirstOrThrow();
    // The tip has a reporter key of its own, derived from the account's tip secret: not the account key.
    expect(Buffer.from(report.reporter_public_key)).not.toEqual(Buffer.from(account.public_key));

    const ki = await openReportKey(t.database.db, report.id, 'identity', asStaff(custodian));
    const identity = openJson<IdentityRecord>(ki!, 'identity', report.id, new Uint8Array(report.identity_sealed!));
    expect(identity).toMatchObject({ name: '周晓燕', phone: alice.phone, employee: { number: 'ZTO-5520', company: '中通快递' }, consent: 'confidential' });
    expect(await openReportKey(t.database.db, report.id, 'identity', asStaff(reviewer))).toBeNull();

    const k = await openReportKey(t.database.db, report.id, 'report', asStaff(reviewer));
    const payload = openJson<ReportPayload>(k!, 'payload', report.id, new Uint8Array(report.payload_sealed), payloadBinding(report));
    expect(payload.parcel).toMatchObject({
      waybillNumbers: ['ZT7712345678', 'ZT7712345679'],
      courierCompany: '中通快递',
      outlet: '深圳 龙岗营业部',
      noticedHow: 'xray_screening',
      parcelLocation: 'held',
      sender: { name: '张某', phone: '13911112222' },
    });
    const page = await alice.agent.get(res.headers.location!);
    expect(page.text).toContain('线索已提交');
  });

  it('can share identity with the authorities, and shows the 110 notice for immediate danger', async () => {
    const res = await fileTip(alice.agent, { ...TIP, categories: 'explosives', immediate_danger: 'yes', identity_choice: 'share_with_authorities' });
    expect(res.status).toBe(303);
    const report = await reportByCase(caseOf(res.headers.location!));
    expect(report.consent_level).toBe('share_with_authorities');
    expect(report.severity).toBe('critical');
    const page = await alice.agent.get(res.headers.location!);
    expect(page.text).toContain('tel:110');
  });

  it('re-renders a rejected form with everything typed and the files kept', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } }).png().toBuffer();
    const res = await fileTip(alice.agent, { ...TIP, categories: [], identity_choice: 'anonymous' }, [{ name: '面单照片.png', body: png, type: 'image/png' }]);
    expect(res.status).toBe(422);
    expect(res.text).toContain('过机时发现申报为“充电宝”');
    expect(res.text).toContain('ZT7712345679');
    expect(res.text).toContain('面单照片.png');
    expect(res.text).toContain('href="#field-categories"');
    expect(res.text).toContain('href="#field-identity_choice"');
    const staged = [...res.text.matchAll(/name="staged" value="([^"]+)"/g)].map((m) => m[1]!);
    expect(staged).toHaveLength(1);
    const stagingKey = /name="staging_key" value="([^"]+)"/.exec(res.text)![1]!;
    const retry = await postReportForm(alice.agent, '/employee/report', csrfTokenFrom(res.text), {
      staging_key: stagingKey, staged: staged, ...TIP, courier_company: '中通快递', action: 'send',
    });
    expect(retry.status).toBe(303);
    filedBy.get(alice.agent)!.push(caseOf(retry.headers.location!));
    const report = await reportByCase(caseOf(retry.headers.location!));
    expect(report.attachment_count).toBe(1);
  });

  it('refuses a POST without the CSRF token before reading any file', async () => {
    const before = await t.database.db.selectFrom('attachments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const res = await alice.agent
      .post('/employee/report')
      .field('description', '伪造的跨站提交')
      .field('action', 'send')
      .attach('files', Buffer.from('forged'), { filename: 'x.txt', contentType: 'text/plain' });
    expect(res.status).toBe(403);
    const after = await t.database.db.selectFrom('attachments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('strangers are sent to the sign-in page and nothing is filed', async () => {
    const before = await t.database.db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const { default: request } = await import('supertest');
    const res = await request(t.publicApp).get('/employee/report');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/employee/login');
    const after = await t.database.db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});

describe('my tips', () => {
  let caseNumber: string;
  beforeAll(async () => {
    caseNumber = caseOf((await fileTip(alice.agent, { ...TIP, description: '寄件人多次寄出同样的银白色金属块，申报为五金配件。', categories: 'strategic_minerals' })).headers.location!);
    const report = await reportByCase(caseNumber);
    const k = (await openReportKey(t.database.db, report.id, 'report', asStaff(reviewer)))!;
    await t.database.db.transaction().execute((trx) =>
      appendMessage(trx, { reportId: report.id, authorKind: 'staff', authorId: reviewer.id, body: '请问包裹现在还在网点吗？重量大约多少？' }, k),
    );
  });

  it('lists every own tip with status, unread messages, replies and files, and no receipts', async () => {
    const res = await alice.agent.get('/employee/tips');
    expect(res.status).toBe(200);
    const mine = filedBy.get(alice.agent)!;
    expect(mine.length).toBeGreaterThanOrEqual(4);
    for (const c of mine) expect(res.text).toContain(c);
    for (const c of filedBy.get(bob.agent) ?? []) expect(res.text).not.toContain(c);
    const card = res.text.split(`>${caseNumber}</a>`)[1]!.split('</li>')[0]!;
    expect(card).toContain('2 条未读'); // the acknowledgement and the reviewer's question
    expect(card).toMatch(/审核人员回复<\/dt><dd>1</);
    expect(card).toContain('已收到，等待处理');
    expect(res.text).not.toMatch(/\b\d{4} \d{4} \d{4} \d{4}\b|回执码：/);
  });

  it('opens the thread with the reviewer question, marks it read, and takes a sealed reply', async () => {
    const page = await alice.agent.get(`/employee/tips/${caseNumber}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('请问包裹现在还在网点吗？重量大约多少？');
    expect(page.text).toContain('寄件人多次寄出同样的银白色金属块');
    expect((await alice.agent.get('/employee/tips')).text.split(`>${caseNumber}</a>`)[1]!.split('</li>')[0]).not.toContain('未读');

    const reply = await alice.agent.post(`/employee/tips/${caseNumber}/messages`).type('form').send({ _csrf: csrfTokenFrom(page.text), body: '还在网点暂扣，约 4.2 公斤。' });
    expect(reply.status).toBe(303);
    const report = await reportByCase(caseNumber);
    const row = await t.database.db.selectFrom('messages').selectAll().where('report_id', '=', report.id).where('author_kind', '=', 'reporter').executeTakeFirstOrThrow();
    expect(Buffer.from(row.body_sealed!).toString('utf8')).not.toContain('暂扣');
    const k = (await openReportKey(t.database.db, report.id, 'report', asStaff(reviewer)))!;
    expect(fromUtf8(openRecord(k, 'message', messageContext(report.id, row.id), new Uint8Array(row.body_sealed!), messageBinding(row.author_kind, row.author_id)))).toBe('还在网点暂扣，约 4.2 公斤。');
    const audit = await t.database.db.selectFrom('audit_log').selectAll().where('case_id', '=', report.id).where('event', '=', 'report.reporter_message').executeTakeFirstOrThrow();
    expect(audit.actor_kind).toBe('reporter');
    expect(audit.actor_id).toBeNull();
  });

  it('keeps an empty reply on the page with a message instead of sending it', async () => {
    const page = await alice.agent.get(`/employee/tips/${caseNumber}`);
    const res = await alice.agent.post(`/employee/tips/${caseNumber}/messages`).type('form').send({ _csrf: csrfTokenFrom(page.text), body: '   ' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('请输入回复内容');
  });

  it('adds files to a tip and downloads them back intact', async () => {
    const page = await alice.agent.get(`/employee/tips/${caseNumber}`);
    const text = Buffer.from('称重记录：4.2kg，过机图像见附件。\n', 'utf8');
    const res = await postReportForm(alice.agent, `/employee/tips/${caseNumber}/files`, csrfTokenFrom(page.text), { note: '补充称重记录' }, [{ name: '称重.txt', body: text, type: 'text/plain' }]);
    expect(res.status).toBe(303);
    const after = await alice.agent.get(`/employee/tips/${caseNumber}`);
    expect(after.text).toContain('称重.txt');
    expect(after.text).toContain('补充称重记录');
    const link = new RegExp(`/employee/tips/${caseNumber}/files/[0-9a-f-]{36}`).exec(after.text)![0];
    const file = await alice.agent.get(link);
    expect(file.status).toBe(200);
    expect(file.headers['content-disposition']).toMatch(/^attachment;/);
    expect(file.headers['content-type']).toMatch(/^text\/plain/);
    expect(file.text).toBe(text.toString('utf8'));
    const empty = await postReportForm(alice.agent, `/employee/tips/${caseNumber}/files`, csrfTokenFrom(after.text), { note: '' });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('请选择要上传的文件');
  });
});

describe('authorisation between employees', () => {
  it("an employee never sees another employee's tip: not listed, and every guessed URL is a 404", async () => {
    const caseNumber = caseOf((await fileTip(alice.agent)).headers.location!);
    const report = await reportByCase(caseNumber);
    const list = await bob.agent.get('/employee/tips');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(caseNumber);
    expect(list.text).toContain('您还没有用账号提交过线索');

    const page = await bob.agent.get('/employee/tips');
    const csrf = csrfTokenFrom(await (await bob.agent.get('/employee/account/password')).text);
    const file = await t.database.db.selectFrom('attachments').select('id').where('report_id', 'is not', null).executeTakeFirst();
    const attempts = [
      bob.agent.get(`/employee/tips/${caseNumber}`),
      bob.agent.get(`/employee/tips/${caseNumber.toLowerCase()}`),
      bob.agent.get(`/employee/tips/${report.id}`),
      bob.agent.get('/employee/tips/PG-0000-0000'),
      bob.agent.get(`/employee/tips/${caseNumber}/files/${file?.id ?? report.id}`),
      bob.agent.post(`/employee/tips/${caseNumber}/messages`).type('form').send({ _csrf: csrf, body: '不是我的线索' }),
    ];
    for (const res of await Promise.all(attempts)) expect(res.status).toBe(404);
    expect(page.status).toBe(200);
    const messages = await t.database.db.selectFrom('messages').select('id').where('report_id', '=', report.id).where('author_kind', '=', 'reporter').execute();
    expect(messages).toHaveLength(0);
  });

  it("a tip carrying another employee's tag stays hidden: its key is not the one that tag derives", async () => {
    const caseNumber = caseOf((await fileTip(bob.agent)).headers.location!);
    const report = await reportByCase(caseNumber);
    const alices = await reportByCase(filedBy.get(alice.agent)![0]!);
    const tag = alices.employee_tip_tag!;
    const bobsTag = report.employee_tip_tag!;
    // Simulate a forged row: give Bob's report Alice's first tag. The grant is still sealed to Bob's tip key.
    await t.database.db.updateTable('reports').set({ employee_tip_tag: null }).where('id', '=', alices.id).execute();
    await t.database.db.updateTable('reports').set({ employee_tip_tag: tag }).where('id', '=', report.id).execute();
    expect((await alice.agent.get(`/employee/tips/${caseNumber}`)).status).toBe(404);
    expect((await alice.agent.get('/employee/tips')).text).not.toContain(caseNumber);
    await t.database.db.updateTable('reports').set({ employee_tip_tag: bobsTag }).where('id', '=', report.id).execute();
    await t.database.db.updateTable('reports').set({ employee_tip_tag: tag }).where('id', '=', alices.id).execute();
    expect((await alice.agent.get('/employee/tips')).text).toContain(alices.case_number);
  });
});
