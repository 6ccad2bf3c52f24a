import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createEmployee, loginEmployee } from '../helpers/employees.js';
import { createTestReviewer, submitTestReport, submitThroughForm } from '../helpers/reports.js';
import { dumpDatabase } from '../helpers/leak-scan.js';
import { hashToken, randomBytes } from '../../server/core/crypto/index.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await createTestReviewer(t, { custodian: true });
});
afterAll(async () => {
  await t.close();
});

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('"file this anonymously instead"', () => {
  it('leaves no row, column, session, rate-limit key or audit entry linking the account to the report', async () => {
    const employee = await createEmployee(t, { name: '匿名测试员', employeeNumber: 'ANON-0001' });
    // One mistyped password first, so this client has rows in the employee rate-limit buckets too.
    await expect(loginEmployee(t, { phone: employee.phone, password: 'mistyped password 0' })).rejects.toThrow();
    const agent = await loginEmployee(t, employee);
    // Signed in, the employee follows the plain link from their page to the public form.
    const home = await agent.get('/employee');
    expect(home.text).toContain('href="/report"');
    const { receipt } = await submitThroughForm(agent, {
      categories: 'spy_equipment',
      description: '我以匿名方式提交：寄件人要求不开箱验视，过机显示疑似窃听器材。',
      immediate_danger: 'no',
      waybill_numbers: 'YT9900112233',
      identity_choice: 'anonymous',
    });
    expect(receipt).toMatch(/^\d{16}$/);
    // The employee session is still live: the report was filed while signed in.
    expect((await agent.get('/employee')).status).toBe(200);

    const report = await t.database.db.selectFrom('reports').selectAll().orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(report.channel).toBe('public');
    expect(report.employee_tip_tag).toBeNull();
    expect(report.identity_present).toBe(false);
    expect(report.receipt_lookup_hash).not.toBeNull();

    const account = await t.database.db.selectFrom('employees').selectAll().where('id', '=', employee.id).executeTakeFirstOrThrow();
    const sessions = await t.database.db.selectFrom('sessions').selectAll().where('kind', '=', 'employee').where('principal_id', '=', employee.id).execute();
    expect(sessions.length).toBeGreaterThan(0);
    const employeeValues = [
      employee.id,
      hex(account.login_lookup),
      hex(account.public_key),
      hex(account.kek_salt),
      account.outlet_id,
      ...sessions.map((s) => hex(s.id_hash)),
    ];
    // The anonymous report has its own fresh key pair, never the account's.
    expect(hex(report.reporter_public_key)).not.toBe(hex(account.public_key));

    const linkingRows = async (r: { id: string; case_number: string }) =>
      (await dumpDatabase(t.database.db)).filter(
        (row) => [r.id, r.case_number].some((v) => row.text.includes(v)) && employeeValues.some((v) => row.text.includes(v)),
      );
    expect(await linkingRows(report)).toEqual([]);
    // Control: the same scan does find a tip sealed to the account key itself (as tips were before
    // they got keys of their own).
    const own = await submitTestReport(t, { reporter: { kind: 'employee', publicKey: new Uint8Array(account.public_key), tipTag: randomBytes(32) } });
    expect((await linkingRows({ id: own.reportId, case_number: own.caseNumber })).map((r) => r.table)).toContain('reports');

    for (const s of sessions) expect(JSON.stringify(s.data)).not.toMatch(new RegExp(`${report.id}|${report.case_number}`));
    const audit = await t.database.db.selectFrom('audit_log').selectAll().where('case_id', '=', report.id).execute();
    expect(audit.length).toBeGreaterThan(0);
    for (const row of audit) {
      expect(row.actor_kind).not.toBe('employee');
      expect(row.actor_id).toBeNull();
      expect(JSON.stringify(row.details)).not.toContain(employee.id);
    }
    expect(await t.database.db.selectFrom('report_key_grants').selectAll().where('report_id', '=', report.id).where('recipient_kind', '=', 'reporter').execute()).toHaveLength(1);

    // Rate-limit keys of the employee buckets are domain-separated from the public form's, so the
    // same browser does not leave one key in both.
    const limits = await t.database.db.selectFrom('rate_limits').selectAll().execute();
    const employeeKeys = new Set(limits.filter((r) => r.bucket.startsWith('employee')).map((r) => r.key));
    const publicKeys = limits.filter((r) => !r.bucket.startsWith('employee')).map((r) => r.key);
    expect(employeeKeys.size).toBeGreaterThan(0);
    expect(publicKeys.length).toBeGreaterThan(0);
    expect(publicKeys.filter((k) => employeeKeys.has(k))).toEqual([]);

    // Nor does the report appear anywhere on the employee's side.
    const tips = await agent.get('/employee/tips');
    expect(tips.text).not.toContain(report.case_number);
    expect((await agent.get(`/employee/tips/${report.case_number}`)).status).toBe(404);
    // And the logs name neither.
    const logs = t.logs.join('');
    for (const v of [employee.id, report.id, report.case_number]) expect(logs).not.toContain(v);
    expect(hex(hashToken(receipt!))).not.toBe(hex(report.receipt_lookup_hash!)); // the receipt itself is never stored
  });
});
