import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { auditEvents, caseAction, fileReport, post, reporterAgent, signedIn, type Actor } from './case-fixtures.js';

let t: TestApp;
let reviewer: Actor;
let custodian: Actor;
let report: { reportId: string; caseNumber: string; receipt: string | null };
const db = () => t.database.db;
const IDENTITY = { name: '赵六', phone: '13700001111', idNumber: '110101199001011234', consent: 'confidential' as const };

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t);
  custodian = await signedIn(t, { custodian: true });
  report = await fileReport(t, { identity: IDENTITY });
});
afterAll(async () => {
  await t.close();
});

const requests = (reportId: string) => db().selectFrom('identity_requests').selectAll().where('report_id', '=', reportId).orderBy('created_at').execute();
const identityGrant = (reportId: string, staffId: string) =>
  db().selectFrom('report_key_grants').selectAll().where('report_id', '=', reportId).where('key_kind', '=', 'identity').where('recipient_id', '=', staffId).executeTakeFirst();
const identityNotices = async (reportId: string) =>
  (await db().selectFrom('messages').select('id').where('report_id', '=', reportId).where('system_code', '=', 'identity_accessed').execute()).length;

async function decide(actor: Actor, requestId: string, decision: string, reason: string) {
  return post(actor.agent, '/staff/identity-requests', `/staff/identity-requests/${requestId}/decision`, { decision, reason });
}

describe('a reviewer asks for an identity', () => {
  it('cannot see it without a grant, asks with a sealed reason, and cannot ask twice', async () => {
    expect((await reviewer.agent.get(`/staff/cases/${report.caseNumber}/identity`)).status).toBe(404);
    const page = await reviewer.agent.get(`/staff/cases/${report.caseNumber}`);
    expect(page.text).not.toContain(IDENTITY.name);
    expect(page.text).toContain('申请查阅身份的理由');

    const empty = await caseAction(reviewer.agent, report.caseNumber, 'identity-requests', { reason: '' });
    expect(empty.status).toBe(422);
    const res = await caseAction(reviewer.agent, report.caseNumber, 'identity-requests', { reason: '需要联系举报人核实包裹去向' });
    expect(res.status).toBe(303);
    const [request] = await requests(report.reportId);
    expect(request).toMatchObject({ requester_id: reviewer.staff.id, status: 'pending' });
    expect(Buffer.from(request!.reason_sealed).toString()).not.toContain('核实');
    expect((await auditEvents(t, report.reportId)).some((e) => e.event === 'identity.requested' && e.actor_id === reviewer.staff.id)).toBe(true);

    const twice = await caseAction(reviewer.agent, report.caseNumber, 'identity-requests', { reason: '再次申请' });
    expect(twice.status).toBe(422);
    expect(twice.text).toContain('您已经提交过申请');
    expect(twice.text).toContain('再次申请'); // the typed reason is kept
  });

  it('is told plainly when the report is anonymous', async () => {
    const anonymous = await fileReport(t);
    const page = await reviewer.agent.get(`/staff/cases/${anonymous.caseNumber}`);
    expect(page.text).toContain('没有身份信息');
    const res = await caseAction(reviewer.agent, anonymous.caseNumber, 'identity-requests', { reason: '试试' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('这条线索没有身份信息');
  });
});

describe('custodians decide', () => {
  it('only custodians reach the request list', async () => {
    expect((await reviewer.agent.get('/staff/identity-requests')).status).toBe(403);
    const list = await custodian.agent.get('/staff/identity-requests');
    expect(list.status).toBe(200);
    expect(list.text).toContain(report.caseNumber);
    expect(list.text).toContain('需要联系举报人核实包裹去向');
    expect(list.text).toContain(reviewer.staff.username);
  });

  it('a decision needs a reason; approval re-seals KI from the custodian session and tells the reporter', async () => {
    const [request] = await requests(report.reportId);
    const noReason = await decide(custodian, request!.id, 'approve', '');
    expect(noReason.status).toBe(422);
    expect(noReason.text).toContain('此项必填');
    expect(await identityGrant(report.reportId, reviewer.staff.id)).toBeUndefined();

    const res = await decide(custodian, request!.id, 'approve', '核实必要，同意');
    expect(res.status).toBe(303);
    const grant = await identityGrant(report.reportId, reviewer.staff.id);
    expect(grant?.granted_by).toBe(custodian.staff.id);
    const [decided] = await requests(report.reportId);
    expect(decided).toMatchObject({ status: 'approved', decided_by: custodian.staff.id });
    expect(await identityNotices(report.reportId)).toBe(1);
    expect((await auditEvents(t, report.reportId)).some((e) => e.event === 'identity.approved' && e.subject_id === reviewer.staff.id)).toBe(true);

    // The reporter reads that their identity was accessed, not by whom.
    const followup = await (await reporterAgent(t, report.receipt!)).get('/followup');
    expect(followup.text).toContain('查看了您留下的身份信息');
    expect(followup.text).not.toContain(reviewer.staff.username);
    expect(followup.text).not.toContain(custodian.staff.username);

    const again = await decide(custodian, request!.id, 'deny', '改主意');
    expect(again.status).toBe(422);
    expect(again.text).toContain('这条申请已经被审批过了');
  });

  it('the approved reviewer now sees the identity; each view is audited, the reporter told only once', async () => {
    const page = await reviewer.agent.get(`/staff/cases/${report.caseNumber}/identity`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(IDENTITY.name);
    expect(page.text).toContain(IDENTITY.idNumber);
    await reviewer.agent.get(`/staff/cases/${report.caseNumber}/identity`);
    const views = (await auditEvents(t, report.reportId)).filter((e) => e.event === 'identity.viewed' && e.actor_id === reviewer.staff.id);
    expect(views).toHaveLength(2);
    expect(await identityNotices(report.reportId)).toBe(1); // the approval already told the reporter
  });

  it('a custodian viewing an identity is audited too, and the reporter told the first time', async () => {
    const r = await fileReport(t, { identity: { name: '孙七', consent: 'share_with_authorities' } });
    const page = await custodian.agent.get(`/staff/cases/${r.caseNumber}/identity`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('孙七');
    await custodian.agent.get(`/staff/cases/${r.caseNumber}/identity`);
    expect((await auditEvents(t, r.reportId)).filter((e) => e.event === 'identity.viewed' && e.actor_id === custodian.staff.id)).toHaveLength(2);
    expect(await identityNotices(r.reportId)).toBe(1);
  });

  it('denial grants nothing; a custodian cannot decide their own request', async () => {
    const r = await fileReport(t, { identity: { name: '周八', consent: 'confidential' } });
    const asker = await signedIn(t);
    await caseAction(reviewer.agent, r.caseNumber, 'share', { staffId: asker.staff.id });
    await caseAction(asker.agent, r.caseNumber, 'identity-requests', { reason: '想看看' });
    const [request] = await requests(r.reportId);
    expect((await decide(custodian, request!.id, 'deny', '理由不充分')).status).toBe(303);
    expect((await requests(r.reportId))[0]!.status).toBe('denied');
    expect(await identityGrant(r.reportId, asker.staff.id)).toBeUndefined();
    expect((await asker.agent.get(`/staff/cases/${r.caseNumber}/identity`)).status).toBe(404);
    expect((await asker.agent.get(`/staff/cases/${r.caseNumber}`)).text).toContain('理由不充分');

    // A custodian enrolled after the report holds no KI; given the case, they may ask, but not approve themselves.
    const newCustodian = await signedIn(t, { custodian: true });
    await caseAction(reviewer.agent, r.caseNumber, 'share', { staffId: newCustodian.staff.id });
    await caseAction(newCustodian.agent, r.caseNumber, 'identity-requests', { reason: '新任保管人需要了解' });
    const own = (await requests(r.reportId)).find((q) => q.requester_id === newCustodian.staff.id)!;
    const self = await decide(newCustodian, own.id, 'approve', '自己批准');
    expect(self.status).toBe(422);
    expect(self.text).toContain('保管人不能审批自己的申请');
    expect(await identityGrant(r.reportId, newCustodian.staff.id)).toBeUndefined();
  });
});
