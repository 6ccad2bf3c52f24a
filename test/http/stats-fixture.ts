import { sql } from 'kysely';
import type { TestApp } from '../helpers/app.js';
import { submitTestReport } from '../helpers/reports.js';
import { expect } from 'vitest';
import { createEmployee, createTestOutlet } from '../helpers/employees.js';
import { insertCredit } from '../../server/core/rewards/repository.js';

/** Words only a reporter typed: none may appear on a statistics page or in an export. */
export const STATS_CANARY = 'CANARYSTATS7Q4';

const H = 3_600_000;
const at = (iso: string) => new Date(`${iso}+08:00`);

type Spec = {
  created: string;
  channel: 'public' | 'employee';
  province: string;
  category: string;
  severity: 'critical' | 'normal';
  ackAfterHours: number;
  dueAfterHours: number;
  feedbackAfterHours?: number;
  closed?: 'referred_to_authority' | 'unfounded';
};

/**
 * The hand-computed fixture (threshold 5), all in November 2026, Beijing time:
 * - week of 2026-11-02: 6 public tips, GD, spy_equipment;
 * - week of 2026-11-09: 5 public + 4 employee tips, BJ, drugs;
 * - 5 critical tips acknowledged after 0.25, 0.5, 0.75, 1 and 3 h against a 1 h deadline
 *   (median 0.75 → "0.8", p90 2.2, 4 of 5 in time: the 1 late one makes the share suppressed);
 * - 10 other tips acknowledged after 1…10 h against 24 h (median 5.5, p90 9.1, 100.0%);
 * - 5 first feedbacks 24, 48, 72, 96, 120 h after acknowledgement (median 72.0, p90 110.4);
 * - 5 referred to the 12339 hotline and closed, 4 closed unfounded, 6 open (aged 7–30 days on 11-20);
 * - identity requests: 5 approved, 1 denied;
 * - employee accounts: 5 at 顺丰速运 (2 outlets), 2 at 小件快递 (pooled, "<5");
 * - case credits in November: 5 for 顺丰速运, 6 for 韵达快递 (no employee accounts: named for its
 *   credits alone), 2 for 小件快递 (pooled, "<5"); one more for 顺丰速运 in October (out of range).
 *   All credited cases are public tips: filtered to employee tips, no credits are counted.
 */
export function fixtureSpecs(): Spec[] {
  const specs: Spec[] = [];
  const critDelays = [0.25, 0.5, 0.75, 1, 3];
  for (let i = 0; i < 6; i++) {
    specs.push({ created: `2026-11-0${2 + (i % 5)}T10:00:00`, channel: 'public', province: 'GD', category: 'spy_equipment', severity: i < 5 ? 'critical' : 'normal', ackAfterHours: i < 5 ? critDelays[i]! : 1, dueAfterHours: i < 5 ? 1 : 24 });
  }
  for (let i = 0; i < 9; i++) {
    specs.push({ created: `2026-11-${i < 3 ? '09' : '10'}T09:00:00`, channel: i < 5 ? 'public' : 'employee', province: 'BJ', category: 'drugs', severity: 'normal', ackAfterHours: i + 2, dueAfterHours: 24 });
  }
  [24, 48, 72, 96, 120].forEach((h, i) => (specs[i]!.feedbackAfterHours = h));
  for (let i = 0; i < 5; i++) specs[i]!.closed = 'referred_to_authority';
  for (let i = 5; i < 9; i++) specs[i]!.closed = 'unfounded';
  return specs;
}

export async function buildStatsFixture(t: TestApp, staffId: string): Promise<{ caseNumbers: string[] }> {
  const db = t.database.db;
  const caseNumbers: string[] = [];
  for (const spec of fixtureSpecs()) {
    const report = await submitTestReport(t, { categories: [spec.category as 'drugs'], province: spec.province as 'GD', description: `包裹内有可疑物品 ${STATS_CANARY} 请核查` });
    caseNumbers.push(report.caseNumber);
    const created = at(spec.created);
    const ack = new Date(created.getTime() + spec.ackAfterHours * H);
    await db
      .updateTable('reports')
      .set({
        channel: spec.channel,
        severity: spec.severity,
        created_at: created,
        acknowledged_at: ack,
        triage_due_at: new Date(created.getTime() + spec.dueAfterHours * H),
        first_feedback_at: spec.feedbackAfterHours ? new Date(ack.getTime() + spec.feedbackAfterHours * H) : null,
        status: spec.closed ? 'closed' : 'in_review',
        outcome: spec.closed ?? null,
        closed_at: spec.closed ? new Date(ack.getTime() + 200 * H) : null,
        referral_status: spec.closed === 'referred_to_authority' ? 'referred' : null,
      })
      .where('id', '=', report.reportId)
      .execute();
    if (spec.closed === 'referred_to_authority') {
      await sql`insert into referrals (id, report_id, channel, referred_at, status, details_sealed, created_by, created_at)
        values (gen_random_uuid(), ${report.reportId}, 'hotline_12339', ${ack}, 'referred', ${new Uint8Array([1])}, ${staffId}, ${ack})`.execute(db);
    }
  }
  const ids = await db.selectFrom('reports').select('id').orderBy('created_at').execute();
  for (let i = 0; i < 6; i++) {
    await sql`insert into identity_requests (id, report_id, requester_id, reason_sealed, status, created_at)
      values (gen_random_uuid(), ${ids[i]!.id}, ${staffId}, ${new Uint8Array([1])}, ${i < 5 ? 'approved' : 'denied'}, ${at('2026-11-12T12:00:00')})`.execute(db);
  }
  await employees(t, '顺丰速运', [3, 2]);
  await employees(t, '小件快递', [2]);
  const reportIds = ids.map((r) => r.id);
  await credits(t, staffId, '顺丰速运', reportIds.slice(0, 5), '2026-11-15T12:00:00');
  await credits(t, staffId, '韵达快递', reportIds.slice(0, 6), '2026-11-16T12:00:00');
  await credits(t, staffId, '小件快递', reportIds.slice(6, 8), '2026-11-17T12:00:00');
  await credits(t, staffId, '顺丰速运', reportIds.slice(10, 11), '2026-10-20T12:00:00');
  return { caseNumbers };
}

/** Credits a company on each case through the rewards repository, dated `when` (Beijing time). */
async function credits(t: TestApp, staffId: string, company: string, reportIds: string[], when: string): Promise<void> {
  const db = t.database.db;
  const outlet = await createTestOutlet(t, { company, province: 'GD' });
  const { organisation_id: organisationId } = await db.selectFrom('outlets').select('organisation_id').where('id', '=', outlet.id).executeTakeFirstOrThrow();
  for (const reportId of reportIds) {
    expect(await insertCredit(db, { reportId, organisationId, outletId: outlet.id, creditedBy: staffId })).toBe(true);
    await db.updateTable('case_credits').set({ created_at: at(when) }).where('report_id', '=', reportId).where('organisation_id', '=', organisationId).execute();
  }
}

/** One employee joins through the real form per outlet; the others are copies of that row (the statistics read only outlet and dates). */
async function employees(t: TestApp, company: string, perOutlet: number[]): Promise<void> {
  const db = t.database.db;
  for (const n of perOutlet) {
    const outlet = await createTestOutlet(t, { company, province: 'GD' });
    const first = await createEmployee(t, { outletId: outlet.id });
    for (let i = 1; i < n; i++) {
      await sql`insert into employees (id, outlet_id, login_lookup, login_lookup_version, password_hash, kek_salt, kek_cost, public_key, wrapped_private_key, identity_sealed, status, created_at)
        select gen_random_uuid(), outlet_id, decode(md5(random()::text), 'hex'), login_lookup_version, password_hash, kek_salt, kek_cost, public_key, wrapped_private_key, identity_sealed, status, created_at
        from employees where id = ${first.id}`.execute(db);
    }
  }
  await db.updateTable('employees').set({ created_at: at('2026-10-01T00:00:00') }).execute();
}
