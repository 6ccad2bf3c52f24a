import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createEmployee } from '../helpers/employees.js';
import { auditEvents, fileReport, post, signedIn, type Actor } from './case-fixtures.js';
import { findStaffById } from '../../server/core/accounts/repository.js';
import { unlockStaff } from '../../server/core/accounts/staff-keys.js';
import { openEmployeeIdentity } from '../../server/core/employees/keys.js';

/**
 * A custodian appointed after reports arrived holds none of their identity keys until an earlier
 * custodian hands them over from their own session.
 */
let t: TestApp;
let first: Actor;
let reviewer: Actor;
const IDENTITY = { name: '钱七', phone: '13600002222', idNumber: '110101198808081234', consent: 'confidential' as const };
let report: { reportId: string; caseNumber: string };
let employee: Awaited<ReturnType<typeof createEmployee>>;

beforeAll(async () => {
  t = await createTestApp();
  first = await signedIn(t, { custodian: true });
  reviewer = await signedIn(t);
  report = await fileReport(t, { identity: IDENTITY });
  employee = await createEmployee(t, { name: '孙八' });
});
afterAll(async () => {
  await t.close();
});

const db = () => t.database.db;
const grantsOf = (staffId: string) => db().selectFrom('report_key_grants').select(['report_id', 'key_kind']).where('recipient_id', '=', staffId).execute();
const handOver = (actor: Actor, to: string) => post(actor.agent, '/staff/custody/handover', '/staff/custody/handover', { to });

describe('custody hand-over', () => {
  it('passes KI (with K and KN) and employee identity keys to a later custodian, audited, and only once', async () => {
    const later = await signedIn(t, { custodian: true });
    expect(await grantsOf(later.staff.id)).toEqual([]);
    expect((await later.agent.get(`/staff/cases/${report.caseNumber}/identity`)).status).toBe(404);

    const page = await first.agent.get('/staff/custody/handover');
    expect(page.status).toBe(200);
    expect(page.text).toContain(later.staff.username);
    expect(page.text).toContain('缺少您持有的 1 个线索身份密钥和 1 个快递员身份密钥');

    const res = await handOver(first, later.staff.id);
    expect(res.status).toBe(200);
    expect(res.text).toContain('已移交：1 个线索身份密钥，1 个快递员身份密钥。');
    expect((await grantsOf(later.staff.id)).map((g) => g.key_kind).sort()).toEqual(['identity', 'notes', 'report']);

    // The later custodian now reads the reporter's identity through the ordinary, audited route…
    const identity = await later.agent.get(`/staff/cases/${report.caseNumber}/identity`);
    expect(identity.status).toBe(200);
    expect(identity.text).toContain(IDENTITY.name);
    // …and their own private key opens the employee's identity key.
    const unlocked = await unlockStaff(t.ctx.kdf, await findStaffById(db(), later.staff.id), later.staff.password);
    const account = await db().selectFrom('employees').select('identity_sealed').where('id', '=', employee.id).executeTakeFirstOrThrow();
    const grant = await db().selectFrom('employee_key_grants').select('sealed_key').where('employee_id', '=', employee.id).where('recipient_id', '=', later.staff.id).executeTakeFirstOrThrow();
    expect(openEmployeeIdentity(employee.id, new Uint8Array(account.identity_sealed), new Uint8Array(grant.sealed_key), unlocked!.keys).name).toBe('孙八');

    const timeline = await auditEvents(t, report.reportId);
    expect(timeline.filter((e) => e.event === 'case.custody_handed_over')).toEqual([
      expect.objectContaining({ actor_id: first.staff.id, subject_id: later.staff.id, details: { keys: 'report,notes,identity' } }),
    ]);
    const summary = await db().selectFrom('audit_log').select(['details', 'subject_id']).where('event', '=', 'custody.handed_over').execute();
    expect(summary).toEqual([{ subject_id: later.staff.id, details: { reports: 1, employees: 1, remaining: 0 } }]);

    const again = await handOver(first, later.staff.id);
    expect(again.text).toContain('已移交：0 个线索身份密钥，0 个快递员身份密钥。');
    expect(await grantsOf(later.staff.id)).toHaveLength(3);
  });

  it('refuses yourself, a reviewer who is not a custodian, and anyone but a custodian', async () => {
    const self = await handOver(first, first.staff.id);
    expect(self.status).toBe(422);
    expect(self.text).toContain('请选择除您以外的一位在任保管人');
    const notCustodian = await handOver(first, reviewer.staff.id);
    expect(notCustodian.status).toBe(422);
    expect(await grantsOf(reviewer.staff.id).then((g) => g.filter((x) => x.key_kind === 'identity'))).toEqual([]);
    expect((await reviewer.agent.get('/staff/custody/handover')).status).toBe(403);
  });
});
