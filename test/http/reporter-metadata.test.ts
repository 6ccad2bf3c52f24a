import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createTestReviewer, followupLogin, submitTestReport, type TestStaff } from '../helpers/reports.js';
import { openReportKey } from '../../server/core/reports/keys.js';
import { appendMessage } from '../../server/core/reports/messages.js';
import { reporterDay } from '../../server/core/reporter-time.js';
import { dumpDatabase } from '../helpers/leak-scan.js';

let t: TestApp;
let reviewer: TestStaff;
beforeAll(async () => {
  t = await createTestApp();
  reviewer = await createTestReviewer(t);
});
afterAll(async () => {
  await t.close();
});

/** 00:00 Beijing time (16:00 UTC): what a value kept only to the day looks like. */
const isBeijingMidnight = (d: Date | null) => d !== null && (new Date(d).getTime() + 8 * 3_600_000) % 86_400_000 === 0;

describe('reporterDay', () => {
  it('is the start of the Beijing day, either side of midnight there', () => {
    expect(reporterDay(new Date('2026-12-01T15:59:59.999Z')).toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(reporterDay(new Date('2026-12-01T16:00:00.000Z')).toISOString()).toBe('2026-12-01T16:00:00.000Z');
    expect(reporterDay(new Date('2026-12-02T03:12:45.678Z')).toISOString()).toBe('2026-12-01T16:00:00.000Z');
  });
});

describe('reporter metadata', () => {
  it('keeps follow-up activity to the day and no session row names the report', async () => {
    const report = await submitTestReport(t);
    const k = (await openReportKey(t.database.db, report.reportId, 'report', { kind: 'staff', ...reviewer }))!;
    await t.database.db.transaction().execute((trx) =>
      appendMessage(trx, { reportId: report.reportId, authorKind: 'staff', authorId: reviewer.id, body: '请补充包裹重量。' }, k),
    );
    const agent = request.agent(t.publicApp);
    expect((await followupLogin(agent, report.receipt!)).status).toBe(303);
    const page = await agent.get('/followup');
    expect(page.text).toContain('请补充包裹重量。');
    expect((await agent.post('/followup/reply').type('form').send({ _csrf: csrfTokenFrom(page.text), body: '约三公斤。' })).status).toBe(303);

    // The session row holds the report only wrapped under the cookie: no report id, no case number.
    const sessions = (await dumpDatabase(t.database.db)).filter((row) => row.table === 'sessions');
    expect(sessions.length).toBeGreaterThan(0);
    for (const row of sessions) for (const v of [report.reportId, report.caseNumber]) expect(row.text).not.toContain(v);
    expect((await agent.get('/followup')).status).toBe(200); // and the session still works

    const messages = await t.database.db.selectFrom('messages').selectAll().where('report_id', '=', report.reportId).execute();
    const read = messages.filter((m) => m.author_kind !== 'reporter');
    expect(read.length).toBe(2); // the acknowledgement and the question
    for (const m of read) expect(isBeijingMidnight(m.read_by_reporter_at), String(m.read_by_reporter_at)).toBe(true);
    const row = await t.database.db.selectFrom('reports').selectAll().where('id', '=', report.reportId).executeTakeFirstOrThrow();
    expect(isBeijingMidnight(row.last_reporter_activity_at)).toBe(true);

    const audit = await t.database.db.selectFrom('audit_log').selectAll().where('case_id', '=', report.reportId).where('actor_kind', '=', 'reporter').execute();
    expect(audit.map((a) => a.event).sort()).toEqual(['report.reporter_message', 'report.submitted']);
    for (const a of audit) {
      expect(isBeijingMidnight(a.occurred_at)).toBe(true);
      expect(a.actor_id).toBeNull();
    }
    // Control: a value kept to the millisecond is told apart (the staff message's own time).
    expect(read.some((m) => !isBeijingMidnight(m.created_at))).toBe(true);
  });
});
