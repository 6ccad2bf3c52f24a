import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createEmployee, createTestOutlet, loginEmployee, type TestEmployee } from '../helpers/employees.js';
import { createTestReviewer, postReportForm, type TestStaff } from '../helpers/reports.js';
import { dumpDatabase } from '../helpers/leak-scan.js';
import { rateLimitBucketKey, rateLimitCounterKey, sealKeyTo } from '../../server/core/crypto/index.js';
import { openReportKey } from '../../server/core/reports/keys.js';
import { createMigrator, migrateToLatest } from '../../server/core/db/migrator.js';

let t: TestApp;
let custodian: TestStaff;
let employee: TestEmployee;
let outlet: { id: string; organisationId: string };
beforeAll(async () => {
  t = await createTestApp();
  custodian = await createTestReviewer(t, { custodian: true });
  const created = await createTestOutlet(t, { company: '申通快递', outlet: '宝安营业部', province: 'GD', city: '深圳' });
  const row = await t.database.db.selectFrom('outlets').select(['id', 'organisation_id']).where('id', '=', created.id).executeTakeFirstOrThrow();
  outlet = { id: row.id, organisationId: row.organisation_id };
  employee = await createEmployee(t, { outletId: outlet.id });
});
afterAll(async () => {
  await t.close();
});

const asStaff = (s: TestStaff) => ({ kind: 'staff' as const, id: s.id, publicKey: s.publicKey, privateKey: s.privateKey });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function fileTip(agent: TestAgent, description: string): Promise<string> {
  const form = await agent.get('/employee/report');
  const fresh = Object.fromEntries([...form.text.matchAll(/name="(courier_company|outlet)"[^>]*value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const res = await postReportForm(agent, '/employee/report', csrfTokenFrom(form.text), {
    ...fresh, province: 'GD', categories: 'spy_equipment', description, immediate_danger: 'no', identity_choice: 'confidential', action: 'send',
  });
  expect(res.status).toBe(303);
  return /\/employee\/tips\/(PG-[0-9A-Z]{4}-[0-9A-Z]{4})/.exec(res.headers.location!)![1]!;
}

/** Tables that describe the account itself; every other table is report-side. */
const ACCOUNT_SIDE = new Set(['employees', 'employee_key_grants', 'outlets', 'organisations', 'invites', 'sessions']);

describe('employee tips are unlinkable to the account', () => {
  it('leaves no employee, outlet or company id (nor the account key) in any report-side row', async () => {
    const caseNumber = await fileTip(employee.agent, '分拣时发现一批标注为“电子配件”的包裹内有加密通信模块。');
    const account = await t.database.db.selectFrom('employees').select(['public_key', 'login_lookup']).where('id', '=', employee.id).executeTakeFirstOrThrow();
    const report = await t.database.db.selectFrom('reports').selectAll().where('case_number', '=', caseNumber).executeTakeFirstOrThrow();
    const accountValues = [employee.id, outlet.id, outlet.organisationId, hex(account.public_key), hex(account.login_lookup)];

    const dump = await dumpDatabase(t.database.db);
    const linking = dump.filter((row) => {
      if (!accountValues.some((v) => row.text.includes(v))) return false;
      if (!ACCOUNT_SIDE.has(row.table) && row.table !== 'audit_log') return true;
      // Account events may name the account, but never alongside a tip.
      return [report.id, caseNumber].some((v) => row.text.includes(v));
    });
    expect(linking).toEqual([]);
    // No audit row about the tip names an employee.
    const audit = await t.database.db.selectFrom('audit_log').selectAll().where('case_id', '=', report.id).execute();
    expect(audit.length).toBeGreaterThan(0);
    for (const row of audit) expect(row.actor_id).toBeNull();
    // The account's own events keep only the day, so their time does not point at the tip either.
    const own = await t.database.db.selectFrom('audit_log').select('occurred_at').where('actor_id', '=', employee.id).execute();
    expect(own.length).toBeGreaterThan(0);
    for (const row of own) expect((new Date(row.occurred_at).getTime() + 8 * 3_600_000) % 86_400_000).toBe(0);
    // Nor do the tip form's rate limits count under anything the secrets file derives from the account id.
    const day = new Date().toISOString().slice(0, 10);
    const limits = await t.database.db.selectFrom('rate_limits').select(['bucket', 'key']).where('bucket', 'in', ['employee-report', 'employee-report-post']).execute();
    expect(limits.length).toBe(2);
    for (const row of limits) {
      expect(row.key).not.toBe(rateLimitCounterKey(rateLimitBucketKey(t.config.secrets, row.bucket), day, `employee:${employee.id}`));
    }
    // Control: the scan does see the account where it belongs.
    expect(dump.some((row) => row.table === 'employees' && row.text.includes(employee.id))).toBe(true);

    // Custodians still open the identity, and it still says where the employee works.
    const ki = await openReportKey(t.database.db, report.id, 'identity', asStaff(custodian));
    expect(ki).not.toBeNull();
    expect((await employee.agent.get('/employee/tips')).text).toContain(caseNumber);
  });

  it('tags tips filed before migration 1400 at the next sign-in, from a sealed list only the account opens', async () => {
    const caseNumber = await fileTip(employee.agent, '旧线索：营业部收到多件申报为“茶叶”的重件，寄件人拒绝开箱。');
    const { db } = t.database;
    const report = await db.selectFrom('reports').selectAll().where('case_number', '=', caseNumber).executeTakeFirstOrThrow();
    const account = await db.selectFrom('employees').select('public_key').where('id', '=', employee.id).executeTakeFirstOrThrow();
    const accountKey = new Uint8Array(account.public_key);

    // Put the tip back as the old code stored it: employee_id set, grants sealed to the account key.
    const migrator = createMigrator(db);
    const names = (await migrator.getMigrations()).map((m) => m.name);
    const before = names[names.indexOf('20261201_1400_unlinked_employee_tips') - 1]!;
    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    const k = (await openReportKey(db, report.id, 'report', asStaff(custodian)))!;
    const ki = (await openReportKey(db, report.id, 'identity', asStaff(custodian)))!;
    for (const [kind, key] of [['report', k], ['identity', ki]] as const) {
      await db.updateTable('report_key_grants').set({ sealed_key: sealKeyTo(key, accountKey) })
        .where('report_id', '=', report.id).where('key_kind', '=', kind).where('recipient_kind', '=', 'reporter').execute();
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the column exists only below migration 1400
    await (db as any).updateTable('reports').set({ employee_id: employee.id, reporter_public_key: accountKey }).where('id', '=', report.id).execute();
    await migrateToLatest(db);

    const migrated = await db.selectFrom('reports').selectAll().where('id', '=', report.id).executeTakeFirstOrThrow();
    expect(migrated.employee_tip_tag).toBeNull();
    expect(hex(migrated.reporter_public_key)).not.toBe(hex(accountKey));
    const pending = await db.selectFrom('employees').select('pending_tips_sealed').where('id', '=', employee.id).executeTakeFirstOrThrow();
    expect(pending.pending_tips_sealed!.byteLength % 1024).toBe(48); // padded list + sealed-box overhead
    expect(Buffer.from(pending.pending_tips_sealed!).toString('latin1')).not.toContain(report.id);
    expect((await employee.agent.get('/employee/tips')).text).not.toContain(caseNumber);

    // The next sign-in opens the list with the unlocked key and gives the tip a tag and key of its own.
    const agent = await loginEmployee(t, employee);
    expect((await agent.get('/employee/tips')).text).toContain(caseNumber);
    const page = await agent.get(`/employee/tips/${caseNumber}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('旧线索');
    const adopted = await db.selectFrom('reports').selectAll().where('id', '=', report.id).executeTakeFirstOrThrow();
    expect(adopted.employee_tip_tag).not.toBeNull();
    expect(hex(adopted.reporter_public_key)).not.toBe(hex(accountKey));
    const after = await db.selectFrom('employees').select('pending_tips_sealed').where('id', '=', employee.id).executeTakeFirstOrThrow();
    expect(after.pending_tips_sealed).toBeNull();
    // Later tips continue after the adopted one rather than reusing its tag.
    const next = await fileTip(agent, '新线索：同一寄件人又寄出三件同样的包裹。');
    const list = (await agent.get('/employee/tips')).text;
    for (const c of [caseNumber, next]) expect(list).toContain(c);
  });
});
