import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { auditEvents, caseAction, fileReport, signedIn, type Actor } from './case-fixtures.js';

let t: TestApp;
let reviewer: Actor;
const db = () => t.database.db;

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t);
});
afterAll(async () => {
  await t.close();
});

const linkCount = async (id: string) => (await db().selectFrom('reports').select('link_count').where('id', '=', id).executeTakeFirstOrThrow()).link_count;

describe('automatic links from intake', () => {
  it('show on both cases when two reports share a waybill or a sender phone', async () => {
    const first = await fileReport(t, { parcel: { waybillNumbers: ['YT 9988 7766 5544'] } });
    const second = await fileReport(t, { parcel: { waybillNumbers: ['yt9988776655 44'] } });
    const third = await fileReport(t, { parcel: { waybillNumbers: [], sender: { phone: '+86 139 1111 2222' } } });
    const fourth = await fileReport(t, { parcel: { waybillNumbers: [], sender: { phone: '13911112222' } } });
    for (const [a, b, reason] of [[first, second, '运单号相同'], [third, fourth, '寄件人电话相同']] as const) {
      const pageA = await reviewer.agent.get(`/staff/cases/${a.caseNumber}`);
      const pageB = await reviewer.agent.get(`/staff/cases/${b.caseNumber}`);
      expect(pageA.text).toContain(`href="/staff/cases/${b.caseNumber}"`);
      expect(pageB.text).toContain(`href="/staff/cases/${a.caseNumber}"`);
      expect(pageA.text).toContain(reason);
    }
    const linked = await reviewer.agent.get('/staff?linked=1');
    expect(linked.text).toContain(first.caseNumber);
    expect(linked.text).toContain(fourth.caseNumber);
  });
});

describe('manual links', () => {
  it('link by case number, refuse self, duplicates and cases the reviewer cannot open, and unlink', async () => {
    const a = await fileReport(t);
    const b = await fileReport(t);
    const res = await caseAction(reviewer.agent, a.caseNumber, 'links', { caseNumber: b.caseNumber.toLowerCase() });
    expect(res.status).toBe(303);
    expect([await linkCount(a.reportId), await linkCount(b.reportId)]).toEqual([1, 1]);
    expect((await reviewer.agent.get(`/staff/cases/${b.caseNumber}`)).text).toContain(`href="/staff/cases/${a.caseNumber}"`);
    expect((await auditEvents(t, a.reportId)).some((e) => e.event === 'case.linked' && e.subject_id === b.reportId)).toBe(true);
    expect((await auditEvents(t, b.reportId)).some((e) => e.event === 'case.linked' && e.subject_id === a.reportId)).toBe(true);

    const again = await caseAction(reviewer.agent, a.caseNumber, 'links', { caseNumber: b.caseNumber });
    expect(again.status).toBe(422);
    expect(again.text).toContain('这两条线索已经关联');
    const self = await caseAction(reviewer.agent, a.caseNumber, 'links', { caseNumber: a.caseNumber });
    expect(self.status).toBe(422);
    expect(self.text).toContain('不能关联线索本身');

    // A case filed before this reviewer existed and one that does not exist get the same answer.
    const late = await signedIn(t);
    const lateOwn = await fileReport(t);
    const hidden = await caseAction(late.agent, lateOwn.caseNumber, 'links', { caseNumber: a.caseNumber });
    const missing = await caseAction(late.agent, lateOwn.caseNumber, 'links', { caseNumber: 'PG-ZZZZ-ZZZZ' });
    expect(hidden.status).toBe(422);
    expect(missing.status).toBe(422);
    expect(hidden.text).toContain('找不到您有权查看的这一编号的线索');
    expect(missing.text).toContain('找不到您有权查看的这一编号的线索');
    expect(await linkCount(lateOwn.reportId)).toBe(0);

    const unlink = await caseAction(reviewer.agent, a.caseNumber, 'unlink', { reportId: b.reportId });
    expect(unlink.status).toBe(303);
    expect([await linkCount(a.reportId), await linkCount(b.reportId)]).toEqual([0, 0]);
    expect((await caseAction(reviewer.agent, a.caseNumber, 'unlink', { reportId: b.reportId })).status).toBe(422);
    expect((await auditEvents(t, b.reportId)).some((e) => e.event === 'case.unlinked')).toBe(true);
  });
});

describe('closing as a duplicate', () => {
  it('closes with outcome duplicate, records the original, links both, and refuses a cycle', async () => {
    const original = await fileReport(t);
    const copy = await fileReport(t);
    const res = await caseAction(reviewer.agent, copy.caseNumber, 'duplicate', { caseNumber: original.caseNumber });
    expect(res.status).toBe(303);
    const row = await db().selectFrom('reports').selectAll().where('id', '=', copy.reportId).executeTakeFirstOrThrow();
    expect([row.status, row.outcome, row.duplicate_of]).toEqual(['closed', 'duplicate', original.reportId]);
    expect(await linkCount(original.reportId)).toBe(1);
    const page = await reviewer.agent.get(`/staff/cases/${copy.caseNumber}`);
    expect(page.text).toContain('本线索是以下线索的重复');
    expect((await auditEvents(t, copy.reportId)).some((e) => e.event === 'case.duplicate_closed' && e.subject_id === original.reportId)).toBe(true);

    // The original cannot now be closed as a duplicate of its own duplicate.
    const cycle = await caseAction(reviewer.agent, original.caseNumber, 'duplicate', { caseNumber: copy.caseNumber });
    expect(cycle.status).toBe(422);
    expect(cycle.text).toContain('不能互相标记');
    // The generic status form refuses outcome "duplicate" (it needs the original's number).
    const viaStatus = await caseAction(reviewer.agent, original.caseNumber, 'status', { to: 'closed', outcome: 'duplicate' });
    expect(viaStatus.status).toBe(422);
  });
});
