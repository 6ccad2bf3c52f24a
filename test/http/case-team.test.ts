import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { openReportKey } from '../../server/core/reports/keys.js';
import { unlockStaff } from '../../server/core/accounts/staff-keys.js';
import { findStaffById } from '../../server/core/accounts/repository.js';
import { auditEvents, caseAction, fileReport, signedIn, type Actor } from './case-fixtures.js';

let t: TestApp;
let alice: Actor; // holds every report below (enrolled before them)
let custodian: Actor;
let late: Actor; // enrolled after the reports: no grants until someone passes keys on
let admin: Actor;
let report: { reportId: string; caseNumber: string };
const db = () => t.database.db;

beforeAll(async () => {
  t = await createTestApp();
  alice = await signedIn(t);
  custodian = await signedIn(t, { custodian: true });
  admin = await signedIn(t, { role: 'admin' });
  report = await fileReport(t, { identity: { name: '李四', consent: 'confidential' } });
  late = await signedIn(t);
});
afterAll(async () => {
  await t.close();
});

const grantKinds = async (reportId: string, staffId: string) =>
  (await db().selectFrom('report_key_grants').select('key_kind').where('report_id', '=', reportId).where('recipient_id', '=', staffId).orderBy('key_kind').execute()).map((g) => g.key_kind);

/** The private key the reviewer's password unlocks, as their session would hold it. */
async function privateKeyOf(actor: Actor) {
  const unlocked = await unlockStaff(t.ctx.kdf, await findStaffById(db(), actor.staff.id), actor.staff.password);
  return { kind: 'staff' as const, id: actor.staff.id, publicKey: actor.staff.publicKey, privateKey: unlocked!.keys.privateKey };
}

describe('assignment', () => {
  it('re-seals K and KN to the assignee from the assigner session, never KI', async () => {
    expect((await late.agent.get(`/staff/cases/${report.caseNumber}`)).status).toBe(404);
    expect(await grantKinds(report.reportId, late.staff.id)).toEqual([]);

    const res = await caseAction(alice.agent, report.caseNumber, 'assign', { assignee: late.staff.id });
    expect(res.status).toBe(303);
    expect(await grantKinds(report.reportId, late.staff.id)).toEqual(['notes', 'report']);
    const assigned = await db().selectFrom('reports').select('assignee_id').where('id', '=', report.reportId).executeTakeFirstOrThrow();
    expect(assigned.assignee_id).toBe(late.staff.id);

    // The new grant opens with the assignee's own key, and it is the same K the assigner holds.
    const k1 = await openReportKey(db(), report.reportId, 'report', await privateKeyOf(late));
    const k0 = await openReportKey(db(), report.reportId, 'report', await privateKeyOf(alice));
    expect(k1).not.toBeNull();
    expect(Buffer.from(k1!).equals(Buffer.from(k0!))).toBe(true);

    expect((await late.agent.get(`/staff/cases/${report.caseNumber}`)).status).toBe(200);
    expect((await late.agent.get('/staff?assignee=me')).text).toContain(report.caseNumber);
    const audit = (await auditEvents(t, report.reportId)).find((e) => e.event === 'case.assigned');
    expect(audit).toMatchObject({ actor_id: alice.staff.id, subject_id: late.staff.id, details: { grants: 2 } });
  });

  it('unassigns, and refuses anyone who is not an active reviewer', async () => {
    expect((await caseAction(alice.agent, report.caseNumber, 'assign', { assignee: '' })).status).toBe(303);
    const row = await db().selectFrom('reports').select('assignee_id').where('id', '=', report.reportId).executeTakeFirstOrThrow();
    expect(row.assignee_id).toBeNull();
    for (const assignee of [admin.staff.id, '00000000-0000-4000-8000-000000000000', 'nobody']) {
      const res = await caseAction(alice.agent, report.caseNumber, 'assign', { assignee });
      expect(res.status).toBe(422);
      expect(res.text).toContain('请选择一名在职的审核员');
    }
    expect(await grantKinds(report.reportId, admin.staff.id)).toEqual([]);
  });
});

describe('sharing and revoking', () => {
  it('shares with another reviewer, refuses to share twice, and revokes by deleting grants', async () => {
    const r = await fileReport(t);
    const extra = await signedIn(t);
    expect((await caseAction(alice.agent, r.caseNumber, 'share', { staffId: extra.staff.id })).status).toBe(303);
    expect(await grantKinds(r.reportId, extra.staff.id)).toEqual(['notes', 'report']);
    expect((await extra.agent.get(`/staff/cases/${r.caseNumber}`)).status).toBe(200);

    const twice = await caseAction(alice.agent, r.caseNumber, 'share', { staffId: extra.staff.id });
    expect(twice.status).toBe(422);
    expect(twice.text).toContain('该审核员已经可以访问此线索');

    await caseAction(alice.agent, r.caseNumber, 'assign', { assignee: extra.staff.id });
    expect((await caseAction(alice.agent, r.caseNumber, 'revoke', { staffId: extra.staff.id })).status).toBe(303);
    expect(await grantKinds(r.reportId, extra.staff.id)).toEqual([]);
    expect((await extra.agent.get(`/staff/cases/${r.caseNumber}`)).status).toBe(404);
    expect((await extra.agent.get('/staff?status=all')).text).not.toContain(r.caseNumber);
    const row = await db().selectFrom('reports').select('assignee_id').where('id', '=', r.reportId).executeTakeFirstOrThrow();
    expect(row.assignee_id).toBeNull(); // the assignee lost access, so the case is unassigned
    expect((await auditEvents(t, r.reportId)).some((e) => e.event === 'case.share_revoked' && e.subject_id === extra.staff.id)).toBe(true);
  });

  it('refuses to revoke the only custodian holding the identity key, and the last holder of K', async () => {
    const r = await fileReport(t, { identity: { name: '王五', consent: 'confidential' } });
    const refused = await caseAction(alice.agent, r.caseNumber, 'revoke', { staffId: custodian.staff.id });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('唯一持有身份密钥的工作人员');
    expect(await grantKinds(r.reportId, custodian.staff.id)).toEqual(['identity', 'notes', 'report']);

    // Take everyone else off a report without identity until only alice is left.
    const plain = await fileReport(t);
    const holders = await db().selectFrom('report_key_grants').select('recipient_id').where('report_id', '=', plain.reportId).where('key_kind', '=', 'report').where('recipient_kind', '=', 'staff').execute();
    for (const h of holders) if (h.recipient_id !== alice.staff.id) expect((await caseAction(alice.agent, plain.caseNumber, 'revoke', { staffId: h.recipient_id! })).status).toBe(303);
    const last = await caseAction(alice.agent, plain.caseNumber, 'revoke', { staffId: alice.staff.id });
    expect(last.status).toBe(422);
    expect(last.text).toContain('不能撤销最后一名审核员的访问');
  });

  it('lets a reviewer leave a case, which then disappears from their view', async () => {
    const r = await fileReport(t);
    const leaver = await signedIn(t);
    await caseAction(alice.agent, r.caseNumber, 'share', { staffId: leaver.staff.id });
    const res = await caseAction(leaver.agent, r.caseNumber, 'revoke', { staffId: leaver.staff.id });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/staff?done=left');
    expect((await leaver.agent.get(`/staff/cases/${r.caseNumber}`)).status).toBe(404);
    expect((await leaver.agent.get('/staff?done=left')).text).toContain('您已退出该线索');
  });

  it('a reviewer without a grant can act on nothing (404 for every action)', async () => {
    const r = await fileReport(t);
    const stranger = await signedIn(t);
    for (const [action, fields] of [
      ['assign', { assignee: stranger.staff.id }],
      ['share', { staffId: stranger.staff.id }],
      ['revoke', { staffId: alice.staff.id }],
    ] as const) {
      const page = await stranger.agent.get('/staff');
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
      const res = await stranger.agent.post(`/staff/cases/${r.caseNumber}/${action}`).type('form').send({ _csrf: token, ...fields });
      expect(res.status).toBe(404);
    }
    expect(await grantKinds(r.reportId, stranger.staff.id)).toEqual([]);
  });
});
