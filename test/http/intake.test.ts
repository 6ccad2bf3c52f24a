import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import sharp from 'sharp';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createTestReviewer, followReceiptRedirect, hiddenFields, postReportForm, receiptFrom, submitThroughForm, type TestStaff } from '../helpers/reports.js';
import { openJson } from '../../server/core/crypto/index.js';
import { openReportKey } from '../../server/core/reports/keys.js';
import { listReportAttachments } from '../../server/core/reports/attachments.js';
import { payloadBinding } from '../../server/core/reports/payload-binding.js';
import type { ReportPayload } from '../../server/core/reports/model.js';

let t: TestApp;
let reviewer: TestStaff;
beforeAll(async () => {
  t = await createTestApp();
  reviewer = await createTestReviewer(t, { custodian: true });
});
afterAll(async () => {
  await t.close();
});

const asStaff = () => ({ kind: 'staff' as const, id: reviewer.id, publicKey: reviewer.publicKey, privateKey: reviewer.privateKey });
const main = (html: string) => /<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '';
const reportCount = async () => Number((await t.database.db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

async function payloadOf(reportId: string): Promise<ReportPayload> {
  const row = await t.database.db.selectFrom('reports').select(['channel', 'created_at', 'payload_sealed']).where('id', '=', reportId).executeTakeFirstOrThrow();
  const k = await openReportKey(t.database.db, reportId, 'report', asStaff());
  return openJson<ReportPayload>(k!, 'payload', reportId, new Uint8Array(row.payload_sealed), payloadBinding(row));
}

async function latestReport() {
  return t.database.db.selectFrom('reports').selectAll().orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
}

describe('GET /report', () => {
  it.each([
    ['zh-CN', '提交线索', '疑似间谍专用器材'],
    ['en', 'Report a clue', 'Suspected espionage equipment'],
  ])('renders the whole form in %s with every key translated', async (lang, title, category) => {
    const res = await request(t.publicApp).get('/report').set('Accept-Language', lang);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain(title);
    expect(res.text).toContain(category);
    expect(res.text).not.toMatch(/\b(intake|taxonomy|common|followup)\.[a-zA-Z_]+/);
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle="/i);
  });

  it('labels every input, puts _csrf first and explains identity choices before any identity field', async () => {
    const res = await request(t.publicApp).get('/report');
    const html = main(res.text);
    const form = /<form[\s\S]*?<\/form>/.exec(html)![0];
    expect(form).toMatch(/^<form method="post" action="\/report" enctype="multipart\/form-data"[^>]*>\s*<input type="hidden" name="_csrf"/);
    const ids = [...res.text.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    for (const [, id] of form.matchAll(/<(?:input|textarea|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"/g)) {
      expect(form, id).toContain(`for="${id}"`);
    }
    const choices = form.indexOf('name="identity_choice"');
    const nameField = form.indexOf('name="identity_name"');
    expect(choices).toBeGreaterThan(0);
    expect(nameField).toBeGreaterThan(form.lastIndexOf('name="identity_choice"'));
    expect(form).toContain('value="anonymous" checked');
    expect(form).toContain('保持匿名');
    expect(form).toContain('留下身份，但要求保密');
    expect(form).toContain('留下身份，并同意提供给国家安全机关');
    expect(form).toContain('tel:110');
    expect(form).toContain('tel:12339');
    expect(form).toMatch(/<input type="file"[^>]*name="files" multiple/);
    expect(form).toContain('PDF、视频和文本文件无法自动清除其中的隐藏信息');
    expect(form).toMatch(/class="field honeypot"/);
  });
});

describe('POST /report: the whole flow', () => {
  it('reviews, then seals and stores the report with its files, and shows the receipt once', async () => {
    const agent = request.agent(t.publicApp);
    const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#123456' } }).png().toBuffer();
    const before = await reportCount();
    const form = await agent.get('/report');
    const review = await postReportForm(agent, '/report', csrfTokenFrom(form.text), {
      categories: ['spy_equipment', 'suspicious_pattern'],
      description: '寄件人每周寄出外观相同的“数码配件”，过机图像显示内有镜头模组。',
      immediate_danger: 'no',
      province: 'ZJ',
      waybill_numbers: 'YT1234567890123\nYT1234567890124',
      direction: 'outbound_international',
      noticed_how: 'xray_screening',
      sender_phone: '13800000000',
      identity_choice: 'anonymous',
      action: 'review',
    }, [
      { name: '过机图像.png', body: png, type: 'image/png' },
      { name: 'notes.txt', body: Buffer.from('第二次寄件时间：周三下午'), type: 'text/plain' },
    ]);
    expect(review.status).toBe(200);
    expect(review.text).toContain('提交前请检查');
    expect(review.text).toContain('过机图像.png');
    expect(review.text).toContain('YT1234567890124');
    expect(review.text).toContain('浙江省');
    expect(await reportCount()).toBe(before); // nothing stored before "send"

    const hidden = hiddenFields(review.text).filter(([n]) => n !== '_csrf');
    expect(hidden.filter(([n]) => n === 'staged')).toHaveLength(2);
    let send = agent.post('/report').field('_csrf', csrfTokenFrom(review.text));
    for (const [n, v] of hidden) send = send.field(n, v);
    const sent = await send.field('action', 'send');
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe('/report/receipt');
    const page = await followReceiptRedirect(agent, sent);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    const receipt = receiptFrom(page.text);
    expect(receipt).toMatch(/^\d{16}$/);
    expect(page.text).toContain('回执码只显示这一次');
    expect(page.text).toMatch(/<input type="checkbox" id="written_down" name="written_down" value="yes" required>/);
    expect(JSON.stringify(page.headers)).not.toContain(receipt!);
    expect(JSON.stringify(sent.headers)).not.toContain(receipt!);

    const row = await latestReport();
    expect(row).toMatchObject({ channel: 'public', province: 'ZJ', attachment_count: 2, identity_present: false, consent_level: 'none', severity: 'normal' });
    expect(row.categories).toEqual(['spy_equipment', 'suspicious_pattern']);
    for (const value of Object.values(row)) expect(String(value)).not.toContain(receipt!);
    const payload = await payloadOf(row.id);
    expect(payload.parcel).toMatchObject({ waybillNumbers: ['YT1234567890123', 'YT1234567890124'], direction: 'outbound_international', sender: { phone: '13800000000' } });
    expect(payload.attachments).toHaveLength(2);
    const k = await openReportKey(t.database.db, row.id, 'report', asStaff());
    const files = await listReportAttachments(t.database.db, row.id, k!);
    expect(files.map((f) => f.meta.name).sort()).toEqual(['notes.txt', '过机图像.png']);
    expect(files.find((f) => f.meta.type === 'image/png')?.meta.metadataRemoved).toBe(true);
    const indexes = await t.database.db.selectFrom('report_blind_indexes').selectAll().where('report_id', '=', row.id).execute();
    expect(indexes.map((i) => i.kind).sort()).toEqual(['phone', 'waybill', 'waybill']);

    const again = await agent.get('/report');
    expect(receiptFrom(again.text)).toBeNull();
  });

  it('confirming the receipt leads to the thank-you page; not confirming explains instead', async () => {
    const agent = request.agent(t.publicApp);
    const { page } = await submitThroughForm(agent, { categories: 'other', description: 'x' });
    const done = await agent.post('/report/done').type('form').send({ _csrf: csrfTokenFrom(page.text), written_down: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/report/thanks');
    const thanks = await agent.get('/report/thanks');
    expect(thanks.text).toContain('谢谢您的举报');
    expect(thanks.text).toContain('href="/followup"');
    const notTicked = await agent.post('/report/done').type('form').send({ _csrf: csrfTokenFrom(page.text) });
    expect(notTicked.status).toBe(422);
    expect(notTicked.text).toContain('您还没有确认记下回执码');
  });

  it('accepts a direct send without the review step, and urlencoded bodies without files', async () => {
    const agent = request.agent(t.publicApp);
    const form = await agent.get('/report');
    const res = await agent.post('/report').type('form').send({ _csrf: csrfTokenFrom(form.text), categories: 'drugs', description: '药丸藏在玩具里', action: 'send' });
    expect(res.status).toBe(200);
    expect(receiptFrom(res.text)).toMatch(/^\d{16}$/);
  });

  it('marks immediate danger critical and repeats the call-110 notice on the receipt page', async () => {
    const agent = request.agent(t.publicApp);
    const { page } = await submitThroughForm(agent, { categories: 'explosives', description: '包裹有导线外露', immediate_danger: 'yes' });
    expect(page.text).toContain('tel:110');
    const row = await latestReport();
    expect(row).toMatchObject({ severity: 'critical', immediate_danger: true });
  });
});

describe('POST /report: identity', () => {
  it('discards identity fields when the reporter chose to stay anonymous', async () => {
    const agent = request.agent(t.publicApp);
    await submitThroughForm(agent, { categories: 'other', description: 'anon', identity_choice: 'anonymous', identity_name: '不应保存', identity_phone: '13900000000' });
    const row = await latestReport();
    expect(row).toMatchObject({ identity_present: false, consent_level: 'none', identity_sealed: null });
    const grants = await t.database.db.selectFrom('report_key_grants').select('key_kind').where('report_id', '=', row.id).where('key_kind', '=', 'identity').execute();
    expect(grants).toEqual([]);
  });

  it.each([
    ['confidential', 'confidential'],
    ['share_with_authorities', 'share_with_authorities'],
  ] as const)('seals identity under KI for the choice %s', async (choice, consent) => {
    const agent = request.agent(t.publicApp);
    await submitThroughForm(agent, { categories: 'recruitment', description: '有人出钱买寄件人信息', identity_choice: choice, identity_name: '王五', identity_phone: '13700000000', identity_id_number: '11010519491231002x' });
    const row = await latestReport();
    expect(row).toMatchObject({ identity_present: true, consent_level: consent });
    const ki = await openReportKey(t.database.db, row.id, 'identity', asStaff());
    const identity = openJson<Record<string, unknown>>(ki!, 'identity', row.id, new Uint8Array(row.identity_sealed!));
    expect(identity).toEqual({ name: '王五', phone: '13700000000', idNumber: '11010519491231002X', consent });
  });

  it('asks for a name when a non-anonymous choice is made without one', async () => {
    const agent = request.agent(t.publicApp);
    const form = await agent.get('/report');
    const res = await postReportForm(agent, '/report', csrfTokenFrom(form.text), { categories: 'other', description: 'd', identity_choice: 'confidential', action: 'review' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('href="#field-identity_name"');
    expect(res.text).toContain('您选择了留下身份，请填写姓名');
    expect(res.text).toContain('value="confidential" checked');
  });
});

describe('POST /report: nothing is lost', () => {
  it('re-renders every typed value and keeps uploaded files, which then go with the report', async () => {
    const agent = request.agent(t.publicApp);
    const form = await agent.get('/report');
    const typed = {
      categories: ['wildlife', 'other'],
      description: '',
      courier_company: '某某速运 <b>',
      sender_phone: 'not a phone',
      observed_at: 'yesterday',
      province: 'XX',
      identity_name: '赵六',
      action: 'review',
    };
    const res = await postReportForm(agent, '/report', csrfTokenFrom(form.text), typed, [
      { name: 'keep-me.txt', body: Buffer.from('kept file'), type: 'text/plain' },
      { name: 'virus.exe', body: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)]), type: 'application/octet-stream' },
    ]);
    expect(res.status).toBe(422);
    const html = main(res.text);
    for (const href of ['#field-description', '#field-sender_phone', '#field-observed_at', '#field-province', '#field-files']) expect(html).toContain(`href="${href}"`);
    expect(html).toContain('value="某某速运 &lt;b&gt;"');
    expect(html).toContain('value="not a phone"');
    expect(html).toContain('value="yesterday"');
    expect(html).toContain('value="赵六"');
    expect(html).toMatch(/value="wildlife" checked/);
    expect(html).toMatch(/value="other" checked/);
    expect(html).toContain('keep-me.txt');
    expect(html).toMatch(/virus\.exe<\/span>: 不支持此文件格式/);
    expect(html).toMatch(/name="remove_staged" value="[0-9a-f-]{36}"/);

    const hidden = hiddenFields(res.text).filter(([n]) => n !== '_csrf');
    expect(hidden.map(([n]) => n)).toEqual(['submission_token', 'staging_key', 'staged']);
    const retry = await followReceiptRedirect(agent, await postReportForm(agent, '/report', csrfTokenFrom(res.text), {
      ...Object.fromEntries(hidden),
      categories: 'wildlife',
      description: '穿山甲鳞片',
      action: 'send',
    }, [{ name: 'second.txt', body: Buffer.from('second'), type: 'text/plain' }]));
    expect(receiptFrom(retry.text)).toMatch(/^\d{16}$/);
    const row = await latestReport();
    const k = await openReportKey(t.database.db, row.id, 'report', asStaff());
    const files = await listReportAttachments(t.database.db, row.id, k!);
    expect(files.map((f) => f.meta.name).sort()).toEqual(['keep-me.txt', 'second.txt']);
  });

  it('drops a staged file whose remove box was ticked', async () => {
    const agent = request.agent(t.publicApp);
    const form = await agent.get('/report');
    const first = await postReportForm(agent, '/report', csrfTokenFrom(form.text), { categories: 'other', description: '', action: 'review' }, [
      { name: 'drop.txt', body: Buffer.from('drop'), type: 'text/plain' },
    ]);
    const hidden = Object.fromEntries(hiddenFields(first.text).filter(([n]) => n !== '_csrf'));
    const retry = await postReportForm(agent, '/report', csrfTokenFrom(first.text), { ...hidden, remove_staged: hidden.staged!, categories: 'other', description: 'now filled', action: 'review' });
    expect(retry.status).toBe(200);
    expect(retry.text).not.toContain('drop.txt');
    const left = await t.database.db.selectFrom('attachments').select('id').where('id', '=', hidden.staged!).execute();
    expect(left).toEqual([]);
  });

  it('refuses files over the count limit by name, keeping the rest', async () => {
    const agent = request.agent(t.publicApp);
    const form = await agent.get('/report');
    const files = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.txt`, body: Buffer.from(`file ${i}`), type: 'text/plain' }));
    const res = await postReportForm(agent, '/report', csrfTokenFrom(form.text), { categories: 'other', description: 'many', action: 'review' }, files);
    expect(res.status).toBe(422);
    expect(res.text).toMatch(/f10\.txt<\/span>: 最多只能附上 10 个文件/);
    expect(hiddenFields(res.text).filter(([n]) => n === 'staged')).toHaveLength(10);
  });

  it('re-renders an edit from the review page with the values, without errors', async () => {
    const agent = request.agent(t.publicApp);
    const form = await agent.get('/report');
    const res = await postReportForm(agent, '/report', csrfTokenFrom(form.text), { categories: 'tobacco', description: '整箱香烟申报为茶叶', action: 'edit' });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('error-summary');
    expect(res.text).toContain('整箱香烟申报为茶叶</textarea>');
  });

  it('treats a filled honeypot as a correctable error and stores nothing', async () => {
    const agent = request.agent(t.publicApp);
    const before = await reportCount();
    const form = await agent.get('/report');
    const res = await postReportForm(agent, '/report', csrfTokenFrom(form.text), { categories: 'other', description: 'bot text', website: 'http://spam.example', action: 'send' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('href="#field-website"');
    expect(res.text).not.toMatch(/class="field honeypot/); // shown, so a person can clear it
    expect(res.text).toContain('bot text');
    expect(await reportCount()).toBe(before);
  });
});

describe('POST /report: abuse', () => {
  it('rejects a file sent before the CSRF token, and a form without one', async () => {
    const agent = request.agent(t.publicApp);
    const count = async () => (await t.database.db.selectFrom('attachments').select('id').execute()).length;
    const before = await count();
    const form = await agent.get('/report');
    const token = csrfTokenFrom(form.text);
    const early = await agent.post('/report').attach('files', Buffer.from('x'), { filename: 'a.txt', contentType: 'text/plain' }).field('_csrf', token);
    expect(early.status).toBe(403);
    expect(early.text).toContain('表单已过期');
    const none = await agent.post('/report').field('description', 'x');
    expect(none.status).toBe(403);
    expect(await count()).toBe(before);
  });

  it('over the hourly limit: a translated 429 page with the typed text kept', async () => {
    const agent = request.agent(t.publicApp);
    await submitThroughForm(agent, { categories: 'other', description: 'first' });
    await t.database.db.updateTable('rate_limits').set({ hits: 1000 }).where('bucket', '=', 'report-submit').execute();
    const form = await agent.get('/report');
    const res = await postReportForm(agent, '/report', csrfTokenFrom(form.text), { categories: 'other', description: '限流后仍保留的文字', action: 'send' });
    expect(res.status).toBe(429);
    expect(res.text).toContain('短时间内提交次数过多');
    expect(res.text).toContain('限流后仍保留的文字</textarea>');
    await t.database.db.updateTable('rate_limits').set({ hits: 1000 }).where('bucket', '=', 'report-post').execute();
    const posts = await postReportForm(agent, '/report', csrfTokenFrom(res.text), { categories: 'other', description: '再次提交' }, [{ name: 'x.txt', body: Buffer.from('x'), type: 'text/plain' }]);
    expect(posts.status).toBe(429);
    expect(posts.text).toContain('再次提交</textarea>');
    expect(hiddenFields(posts.text).filter(([n]) => n === 'staged')).toEqual([]); // over the limit, files are not even staged
    await t.database.db.deleteFrom('rate_limits').execute();
  });

  it('keys rate limits by a keyed hash, never the address', async () => {
    const rows = await t.database.db.selectFrom('rate_limits').select('key').execute();
    for (const row of rows) expect(row.key).toMatch(/^[0-9a-f]{64}$|^all$/);
  });
});

describe('POST /report: staged storage per address', () => {
  it('refuses files by name once an address has uploaded too many this hour', async () => {
    await t.database.db.deleteFrom('rate_limits').execute();
    const agent = request.agent(t.publicApp);
    const form = await agent.get('/report');
    await t.database.db.updateTable('rate_limits').set({ hits: 0 }).execute();
    const first = await postReportForm(agent, '/report', csrfTokenFrom(form.text), { categories: 'other', description: '', action: 'review' }, [{ name: 'one.txt', body: Buffer.from('1'), type: 'text/plain' }]);
    expect(hiddenFields(first.text).filter(([n]) => n === 'staged')).toHaveLength(1);
    await t.database.db.updateTable('rate_limits').set({ hits: 40 }).where('bucket', '=', 'upload').execute();
    const res = await postReportForm(agent, '/report', csrfTokenFrom(first.text), { categories: 'other', description: '', action: 'review' }, [{ name: 'two.txt', body: Buffer.from('2'), type: 'text/plain' }]);
    expect(res.status).toBe(422);
    expect(res.text).toMatch(/two\.txt<\/span>: 近期从这里上传的文件过多/);
    await t.database.db.deleteFrom('rate_limits').execute();
  });
});
