import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestReviewer, followupLogin, submitTestReport, type TestStaff } from '../helpers/reports.js';
import { runDeadlineScan } from '../../server/core/alerts/deadlines.js';

const MIN = 60_000;
let t: TestApp;
let reviewer: TestStaff;
let other: TestStaff;
let admin: TestStaff;

const deps = () => ({ db: t.database.db, config: t.config, logger: t.ctx.logger });
const deadlineRows = () => t.database.db.selectFrom('alert_outbox').selectAll().where('event', '=', 'deadline').orderBy('created_at').execute();

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await createTestReviewer(t);
  other = await createTestReviewer(t);
  admin = await createTestReviewer(t, { role: 'admin' });
  for (const [s, email] of [[reviewer, 'r@example.test'], [other, 'o@example.test'], [admin, 'a@example.test']] as const) {
    await t.database.db.updateTable('staff').set({ email }).where('id', '=', s.id).execute();
  }
});
afterAll(async () => {
  await t.close();
});

describe('the deadline scan', () => {
  it('announces an immediate-danger tip due soon to the assignee, overdue to every key holder, twice overdue to admins; once each, once across instances', async () => {
    const { reportId } = await submitTestReport(t, { immediateDanger: true });
    await t.database.db.updateTable('reports').set({ assignee_id: reviewer.id }).where('id', '=', reportId).execute();
    const report = await t.database.db.selectFrom('reports').select(['created_at', 'triage_due_at', 'status', 'severity']).where('id', '=', reportId).executeTakeFirstOrThrow();
    expect(report).toMatchObject({ status: 'new', severity: 'critical' });
    const created = new Date(report.created_at).getTime();
    const due = new Date(report.triage_due_at).getTime();
    expect(Math.abs(due - created - 60 * MIN)).toBeLessThan(1000);

    // 50 minutes in: due soon, the assignee only. Two instances scan at the same moment: one runs.
    const soon = new Date(created + 50 * MIN);
    const [a, b] = await Promise.all([runDeadlineScan(deps(), soon), runDeadlineScan(deps(), soon)]);
    expect([a, b].filter((x) => x === null)).toHaveLength(1);
    let rows = await deadlineRows();
    expect(rows.map((r) => [r.staff_id, r.stage, r.due_kind])).toEqual([[reviewer.id, 'due_soon', 'triage']]);

    // The next minute: nothing new.
    expect(await runDeadlineScan(deps(), new Date(created + 52 * MIN))).toBe(0);

    // Overdue: every key holder (both reviewers), urgent.
    expect(await runDeadlineScan(deps(), new Date(created + 61 * MIN))).toBe(1);
    rows = await deadlineRows();
    const overdue = rows.filter((r) => r.stage === 'overdue');
    expect(overdue.map((r) => r.staff_id).sort()).toEqual([reviewer.id, other.id].sort());
    expect(overdue.every((r) => r.priority === 0 && r.report_id === reportId)).toBe(true);

    // Twice overdue: admins, without the case.
    expect(await runDeadlineScan(deps(), new Date(created + 121 * MIN))).toBe(1);
    rows = await deadlineRows();
    const twice = rows.filter((r) => r.stage === 'twice_overdue');
    expect(twice.map((r) => r.staff_id)).toEqual([admin.id]);
    expect(twice[0]).toMatchObject({ report_id: null, case_number: null, count: 1 });
    expect(await runDeadlineScan(deps(), new Date(created + 200 * MIN))).toBe(0);

    // Triaged: the clock stops.
    await t.database.db.updateTable('reports').set({ status: 'closed', closed_at: new Date() }).where('id', '=', reportId).execute();
    expect(await runDeadlineScan(deps(), new Date(created + 400 * MIN))).toBe(0);
  });
});

describe("the reporter's follow-up page", () => {
  it('says by when they will hear from us: the acknowledgement deadline, then the first feedback', async () => {
    const { reportId, receipt } = await submitTestReport(t, { immediateDanger: false });
    const agent = request.agent(t.publicApp);
    await followupLogin(agent, receipt!);
    const row = await t.database.db.selectFrom('reports').select(['triage_due_at']).where('id', '=', reportId).executeTakeFirstOrThrow();
    const day = (d: Date) => new Intl.DateTimeFormat('zh-CN', { dateStyle: 'medium', timeZone: 'Asia/Shanghai' }).format(d);
    let page = await agent.get('/followup');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<p id="next-feedback">我们将在 .+ 前给您答复。<\/p>/);
    expect(page.text).toContain(day(new Date(row.triage_due_at)));
    const ackAt = new Date();
    await t.database.db.updateTable('reports').set({ status: 'acknowledged', acknowledged_at: ackAt }).where('id', '=', reportId).execute();
    page = await agent.get('/followup');
    expect(page.text).toContain(day(new Date(ackAt.getTime() + 7 * 24 * 60 * MIN)));
  });
});
