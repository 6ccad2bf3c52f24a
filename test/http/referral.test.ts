import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { auditEvents, caseAction, fileReport, pngBytes, post, reporterAgent, signedIn, stagedFile, type Actor } from './case-fixtures.js';

let t: TestApp;
let reviewer: Actor;
let custodian: Actor;
const db = () => t.database.db;

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t);
  custodian = await signedIn(t, { custodian: true });
});
afterAll(async () => {
  await t.close();
});

const form = (caseNumber: string, fields: Record<string, string | string[]>) =>
  post(reviewer.agent, `/staff/cases/${caseNumber}/referrals/new`, `/staff/cases/${caseNumber}/referrals`, fields);
const valid = { channel: 'hotline_12339', referredAt: '2026-11-20T09:30', reference: 'Q-2026-1120-0042', desk: '值班室 王警官', summary: '某网点收寄时发现疑似窃听器材，运单号已提供。' };

describe('recording a referral', () => {
  it('stores a sealed record, moves the case to referred and tells the reporter', async () => {
    const image = await stagedFile(t, '照片.png', await pngBytes(), 'image/png');
    const r = await fileReport(t, { attachments: [image] });
    const page = await reviewer.agent.get(`/staff/cases/${r.caseNumber}/referrals/new`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('12339 国家安全机关举报受理电话');
    expect(page.text).toContain('照片.png');
    expect(page.text).toContain('举报人是匿名的');

    const res = await form(r.caseNumber, { ...valid, attachments: image.id });
    expect(res.status).toBe(303);
    const referral = await db().selectFrom('referrals').selectAll().where('report_id', '=', r.reportId).executeTakeFirstOrThrow();
    expect(referral).toMatchObject({ channel: 'hotline_12339', status: 'referred', identity_shared: false, created_by: reviewer.staff.id });
    expect(new Date(referral.referred_at).toISOString()).toBe('2026-11-20T01:30:00.000Z'); // typed in Beijing time
    for (const secret of ['Q-2026', '王警官', '窃听', '照片']) expect(Buffer.from(referral.details_sealed).toString()).not.toContain(secret);
    const row = await db().selectFrom('reports').select(['status', 'referral_status']).where('id', '=', r.reportId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'referred', referral_status: 'referred' });
    expect((await (await reporterAgent(t, r.receipt!)).get('/followup')).text).toContain('您的线索已移交主管机关');
    const audit = (await auditEvents(t, r.reportId)).find((e) => e.event === 'referral.created');
    expect(audit?.details).toEqual({ channel: 'hotline_12339', identityShared: false, attachments: 1, pendingApproval: false });

    const casePage = await reviewer.agent.get(`/staff/cases/${r.caseNumber}`);
    expect(casePage.text).toContain('Q-2026-1120-0042');
    expect(casePage.text).toContain('值班室 王警官');
  });

  it('refuses to send identity without the reporter\'s consent, keeping the form', async () => {
    const r = await fileReport(t, { identity: { name: '吴十', consent: 'confidential' } });
    const res = await form(r.caseNumber, { ...valid, identityShared: '1' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('不能提供身份：举报人没有同意向国家安全机关提供其身份');
    expect(res.text).toContain('某网点收寄时发现疑似窃听器材'); // typed summary kept
    expect(res.text).toContain('value="Q-2026-1120-0042"');
    expect(await db().selectFrom('referrals').select('id').where('report_id', '=', r.reportId).execute()).toEqual([]);
    const anonymous = await fileReport(t);
    expect((await form(anonymous.caseNumber, { ...valid, identityShared: '1' })).status).toBe(422);
  });

  it('re-renders every field problem with the input intact, never a 5xx', async () => {
    const r = await fileReport(t);
    const other = await fileReport(t, { attachments: [await stagedFile(t, 'x.png', await pngBytes(), 'image/png')] });
    const otherFile = (await db().selectFrom('attachments').select('id').where('report_id', '=', other.reportId).executeTakeFirstOrThrow()).id;
    const cases: [Record<string, string | string[]>, string][] = [
      [{ ...valid, summary: '' }, '此项必填'],
      [{ ...valid, channel: 'carrier_pigeon' }, '请选择移交渠道'],
      [{ ...valid, referredAt: '2099-01-01T00:00' }, '移交时间不能晚于现在'],
      [{ ...valid, referredAt: 'yesterday' }, '请填写有效的日期和时间'],
      [{ ...valid, attachments: otherFile }, '请只选择此线索的附件'],
      [{ ...valid, attachments: ['not-a-uuid'] }, '请只选择此线索的附件'],
    ];
    for (const [fields, message] of cases) {
      const res = await form(r.caseNumber, fields);
      expect(res.status).toBe(422);
      expect(res.text).toContain(message);
      if (fields.summary) expect(res.text).toContain(String(fields.summary));
    }
  });

  it('is refused on a closed case', async () => {
    const r = await fileReport(t);
    await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'closed', outcome: 'unfounded' });
    const res = await form(r.caseNumber, valid);
    expect(res.status).toBe(422);
    expect(res.text).toContain('线索已结案');
  });
});

describe('after the referral', () => {
  it('records sealed follow-up updates', async () => {
    const r = await fileReport(t);
    await form(r.caseNumber, valid);
    const referral = await db().selectFrom('referrals').select('id').where('report_id', '=', r.reportId).executeTakeFirstOrThrow();
    const res = await post(reviewer.agent, `/staff/cases/${r.caseNumber}`, `/staff/cases/${r.caseNumber}/referrals/${referral.id}/updates`, { body: '国家安全机关回电：已立案核查' });
    expect(res.status).toBe(303);
    const update = await db().selectFrom('referral_updates').selectAll().where('referral_id', '=', referral.id).executeTakeFirstOrThrow();
    expect(Buffer.from(update.body_sealed).toString()).not.toContain('立案');
    expect((await db().selectFrom('reports').select('referral_status').where('id', '=', r.reportId).executeTakeFirstOrThrow()).referral_status).toBe('updated');
    expect((await reviewer.agent.get(`/staff/cases/${r.caseNumber}`)).text).toContain('国家安全机关回电：已立案核查');
    const empty = await post(reviewer.agent, `/staff/cases/${r.caseNumber}`, `/staff/cases/${r.caseNumber}/referrals/${referral.id}/updates`, { body: '' });
    expect(empty.status).toBe(422);
    expect((await auditEvents(t, r.reportId)).some((e) => e.event === 'referral.updated')).toBe(true);
  });

  it('prints a zh-CN sheet with print CSS and no identity unless it was shared', async () => {
    const file = await stagedFile(t, '运单.png', await pngBytes(), 'image/png');
    const r = await fileReport(t, { identity: { name: '郑十一', phone: '13600000000', consent: 'share_with_authorities' }, attachments: [file] });
    await form(r.caseNumber, { ...valid, attachments: file.id });
    const withoutId = await db().selectFrom('referrals').select('id').where('report_id', '=', r.reportId).executeTakeFirstOrThrow();
    const sheet = await reviewer.agent.get(`/staff/cases/${r.caseNumber}/referrals/${withoutId.id}/sheet`).set('Accept-Language', 'en');
    expect(sheet.status).toBe(200);
    expect(sheet.text).toContain('<html lang="zh-Hans">');
    expect(sheet.text).toContain('线索移交单');
    expect(sheet.text).toContain(r.caseNumber);
    expect(sheet.text).toContain('某网点收寄时发现疑似窃听器材');
    expect(sheet.text).toContain('运单.png');
    expect(sheet.text).toContain('<link rel="stylesheet" href="/static/css/print.css" media="print">');
    expect(sheet.text).toContain('请使用浏览器的“打印”功能');
    expect(sheet.text).toContain('未提供举报人身份');
    expect(sheet.text).not.toContain('郑十一');
    expect(sheet.text).not.toMatch(/<script|\sstyle="/i);
    expect((await reviewer.agent.get('/static/css/print.css')).status).toBe(200);
  });

  it('shows shared identity on the sheet only to someone holding the identity key', async () => {
    const r = await fileReport(t, { identity: { name: '冯十二', consent: 'share_with_authorities' } });
    expect((await form(r.caseNumber, { ...valid, identityShared: '1' })).status).toBe(303);
    const referral = await db().selectFrom('referrals').selectAll().where('report_id', '=', r.reportId).executeTakeFirstOrThrow();
    expect(referral.identity_shared).toBe(true);
    const path = `/staff/cases/${r.caseNumber}/referrals/${referral.id}/sheet`;
    const forReviewer = await reviewer.agent.get(path);
    expect(forReviewer.text).not.toContain('冯十二');
    expect(forReviewer.text).toContain('您没有身份密钥');
    const forCustodian = await custodian.agent.get(path);
    expect(forCustodian.text).toContain('冯十二');
    expect((await auditEvents(t, r.reportId)).some((e) => e.event === 'identity.viewed' && e.actor_id === custodian.staff.id)).toBe(true);
  });
});

describe('four-eyes approval (REFERRAL_REQUIRES_APPROVAL=true)', () => {
  it('keeps the referral pending until a second reviewer approves it', async () => {
    const strict = await createTestApp({ REFERRAL_REQUIRES_APPROVAL: 'true' });
    try {
      const first = await signedIn(strict);
      const second = await signedIn(strict);
      const r = await fileReport(strict);
      const created = await post(first.agent, `/staff/cases/${r.caseNumber}/referrals/new`, `/staff/cases/${r.caseNumber}/referrals`, valid);
      expect(created.headers.location).toContain('done=referralPending');
      const sdb = strict.database.db;
      const referral = await sdb.selectFrom('referrals').selectAll().where('report_id', '=', r.reportId).executeTakeFirstOrThrow();
      expect(referral.status).toBe('pending_approval');
      expect(await sdb.selectFrom('reports').select(['status', 'referral_status']).where('id', '=', r.reportId).executeTakeFirstOrThrow()).toEqual({ status: 'new', referral_status: 'pending_approval' });

      const approvePath = `/staff/cases/${r.caseNumber}/referrals/${referral.id}/approve`;
      const own = await post(first.agent, `/staff/cases/${r.caseNumber}`, approvePath);
      expect(own.status).toBe(422);
      expect(own.text).toContain('不能复核自己登记的移交');
      const approved = await post(second.agent, `/staff/cases/${r.caseNumber}`, approvePath);
      expect(approved.status).toBe(303);
      expect((await sdb.selectFrom('referrals').selectAll().where('id', '=', referral.id).executeTakeFirstOrThrow()).approved_by).toBe(second.staff.id);
      expect(await sdb.selectFrom('reports').select(['status', 'referral_status']).where('id', '=', r.reportId).executeTakeFirstOrThrow()).toEqual({ status: 'referred', referral_status: 'referred' });
      expect((await post(second.agent, `/staff/cases/${r.caseNumber}`, approvePath)).status).toBe(422);
    } finally {
      await strict.close();
    }
  });
});
