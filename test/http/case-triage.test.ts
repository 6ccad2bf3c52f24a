import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { auditEvents, caseAction, fileReport, reporterAgent, signedIn, type Actor } from './case-fixtures.js';

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

const row = (id: string) => db().selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const systemCodes = async (id: string) =>
  (await db().selectFrom('messages').select('system_code').where('report_id', '=', id).where('author_kind', '=', 'system').orderBy('created_at').execute()).map((m) => m.system_code);

describe('acknowledge', () => {
  it('moves a new case on, starts the feedback clock, tells the reporter and audits it', async () => {
    const r = await fileReport(t);
    const before = await row(r.reportId);
    const res = await caseAction(reviewer.agent, r.caseNumber, 'acknowledge');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/staff/cases/${r.caseNumber}?done=acknowledged`);
    const after = await row(r.reportId);
    expect(after.status).toBe('acknowledged');
    expect(after.acknowledged_at).not.toBeNull();
    expect(new Date(after.feedback_due_at).getTime()).not.toBe(new Date(before.feedback_due_at).getTime());
    expect(await systemCodes(r.reportId)).toEqual(['ack', 'status_changed']);
    expect((await auditEvents(t, r.reportId)).map((e) => e.event)).toContain('case.acknowledged');
    const page = await reviewer.agent.get(res.headers.location!);
    expect(page.text).toContain('已确认收到，举报人会在查询页看到进展。');

    const again = await caseAction(reviewer.agent, r.caseNumber, 'acknowledge');
    expect(again.status).toBe(422);
    expect(again.text).toContain('这条线索已经确认过了');
  });
});

describe('status transitions', () => {
  it('follow the lifecycle table; closing needs an outcome; reopening clears it', async () => {
    const r = await fileReport(t);
    // new → in_review skips the acknowledgement: refused, and the form keeps its input.
    const skip = await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'in_review' });
    expect(skip.status).toBe(422);
    expect(skip.text).toContain('当前状态下不能进行这一操作');
    expect((await row(r.reportId)).status).toBe('new');

    expect((await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'acknowledged' })).status).toBe(303);
    expect((await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'in_review' })).status).toBe(303);

    const noOutcome = await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'closed', outcome: '' });
    expect(noOutcome.status).toBe(422);
    expect(noOutcome.text).toContain('结案时必须选择结案结论');

    const referredByWord = await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'referred' });
    expect(referredByWord.status).toBe(422);
    expect(referredByWord.text).toContain('移交必须登记移交记录');

    expect((await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'closed', outcome: 'unfounded' })).status).toBe(303);
    let now = await row(r.reportId);
    expect([now.status, now.outcome]).toEqual(['closed', 'unfounded']);
    expect(now.closed_at).not.toBeNull();

    expect((await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'in_review' })).status).toBe(303);
    now = await row(r.reportId);
    expect([now.status, now.outcome, now.closed_at]).toEqual(['in_review', null, null]);

    const audited = (await auditEvents(t, r.reportId)).filter((e) => e.event === 'case.status_changed').map((e) => [e.details.from, e.details.to]);
    expect(audited).toEqual([['new', 'acknowledged'], ['acknowledged', 'in_review'], ['in_review', 'closed'], ['closed', 'in_review']]);
  });

  it('rejects junk without a 5xx', async () => {
    const r = await fileReport(t);
    for (const fields of [{ to: 'bogus' }, { to: 'closed', outcome: 'bogus' }, {}, { to: ['closed', 'new'], outcome: 'x'.repeat(5000) }]) {
      const res = await caseAction(reviewer.agent, r.caseNumber, 'status', fields as Record<string, string>);
      expect(res.status).toBe(422);
    }
  });
});

describe('severity and labels', () => {
  it('re-times triage of a new case when it becomes critical', async () => {
    const r = await fileReport(t);
    const res = await caseAction(reviewer.agent, r.caseNumber, 'severity', { severity: 'critical' });
    expect(res.status).toBe(303);
    const after = await row(r.reportId);
    expect(after.severity).toBe('critical');
    const window = new Date(after.triage_due_at).getTime() - new Date(after.created_at).getTime();
    expect(window).toBe(t.config.sla.criticalTriageMinutes * 60_000);
    expect((await auditEvents(t, r.reportId)).find((e) => e.event === 'case.severity_set')?.details).toEqual({ from: 'normal', to: 'critical' });
  });

  it('stores short label codes and refuses prose, keeping what was typed', async () => {
    const r = await fileReport(t);
    expect((await caseAction(reviewer.agent, r.caseNumber, 'labels', { labels: '跨境, x-ray  x-ray 复核' })).status).toBe(303);
    expect((await row(r.reportId)).labels).toEqual(['跨境', 'x-ray', '复核']);
    const prose = await caseAction(reviewer.agent, r.caseNumber, 'labels', { labels: '寄件人<张三>' });
    expect(prose.status).toBe(422);
    expect(prose.text).toContain('标签只能包含文字、数字、- 和 _');
    expect(prose.text).toContain('value="寄件人&lt;张三&gt;"');
    expect((await row(r.reportId)).labels).toEqual(['跨境', 'x-ray', '复核']);
  });
});

describe('talking to the reporter', () => {
  it('sends a sealed message the reporter reads at /followup, and restarts the feedback clock', async () => {
    const r = await fileReport(t);
    const res = await caseAction(reviewer.agent, r.caseNumber, 'messages', { body: '请问包裹现在还在网点吗？' });
    expect(res.status).toBe(303);
    const stored = await db().selectFrom('messages').selectAll().where('report_id', '=', r.reportId).where('author_kind', '=', 'staff').execute();
    expect(stored).toHaveLength(1);
    expect(Buffer.from(stored[0]!.body_sealed!).toString()).not.toContain('包裹');
    const after = await row(r.reportId);
    expect(after.status).toBe('acknowledged'); // a reply is an acknowledgement
    const dueIn = new Date(after.feedback_due_at).getTime() - Date.now();
    expect(Math.abs(dueIn - t.config.sla.feedbackDays * 86_400_000)).toBeLessThan(60_000);
    const reporter = await reporterAgent(t, r.receipt!);
    expect((await reporter.get('/followup')).text).toContain('请问包裹现在还在网点吗？');

    const empty = await caseAction(reviewer.agent, r.caseNumber, 'messages', { body: '   ' });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('此项必填');
  });

  it('asks for more information: the question, an info_requested notice, status awaiting_reporter', async () => {
    const r = await fileReport(t);
    const res = await caseAction(reviewer.agent, r.caseNumber, 'request-info', { question: '能否提供运单照片？' });
    expect(res.status).toBe(303);
    expect((await row(r.reportId)).status).toBe('awaiting_reporter');
    expect(await systemCodes(r.reportId)).toContain('info_requested');
    const events = (await auditEvents(t, r.reportId)).map((e) => e.event);
    expect(events).toContain('case.info_requested');
    const reporter = await reporterAgent(t, r.receipt!);
    const page = await reporter.get('/followup');
    expect(page.text).toContain('能否提供运单照片？');
    // Asking again from awaiting_reporter is not a transition in the table.
    const again = await caseAction(reviewer.agent, r.caseNumber, 'request-info', { question: '还有吗？' });
    expect(again.status).toBe(422);
    expect(again.text).toContain('还有吗？');
  });

  it('marks a case reward-eligible with a note the reporter sees', async () => {
    const r = await fileReport(t);
    const res = await caseAction(reviewer.agent, r.caseNumber, 'reward', { note: '请携带回执码到当地国家安全机关领取奖励。' });
    expect(res.status).toBe(303);
    const after = await row(r.reportId);
    expect(after.reward_eligible).toBe(true);
    expect(Buffer.from(after.reward_note_sealed!).toString()).not.toContain('奖励');
    expect(await systemCodes(r.reportId)).toContain('reward');
    const page = await (await reporterAgent(t, r.receipt!)).get('/followup');
    expect(page.text).toContain('请携带回执码到当地国家安全机关领取奖励。');
    expect((await auditEvents(t, r.reportId)).map((e) => e.event)).toContain('case.reward_marked');
  });
});

describe('internal notes', () => {
  it('are sealed under KN, shown to reviewers and never to the reporter', async () => {
    const r = await fileReport(t);
    const res = await caseAction(reviewer.agent, r.caseNumber, 'notes', { body: '内部：与上周另一线索可能同一寄件人' });
    expect(res.status).toBe(303);
    const note = await db().selectFrom('notes').selectAll().where('report_id', '=', r.reportId).executeTakeFirstOrThrow();
    expect(Buffer.from(note.body_sealed).toString()).not.toContain('内部');
    expect((await reviewer.agent.get(`/staff/cases/${r.caseNumber}`)).text).toContain('内部：与上周另一线索可能同一寄件人');
    expect((await (await reporterAgent(t, r.receipt!)).get('/followup')).text).not.toContain('内部：');
    // The reporter's key opens K but no grant of KN exists for them at all.
    const reporterNotesGrant = await db().selectFrom('report_key_grants').select('id').where('report_id', '=', r.reportId).where('key_kind', '=', 'notes').where('recipient_kind', '=', 'reporter').execute();
    expect(reporterNotesGrant).toEqual([]);
    expect((await auditEvents(t, r.reportId)).map((e) => e.event)).toContain('case.note_added');
  });
});

describe('immediate danger', () => {
  it('tells the reviewer plainly to call 110 / 12339 now', async () => {
    const r = await fileReport(t, { immediateDanger: true, categories: ['explosives'] });
    const page = await reviewer.agent.get(`/staff/cases/${r.caseNumber}`);
    expect(page.text).toContain('现实危险：请立即报警');
    expect(page.text).toContain('href="tel:110"');
    expect(page.text).toContain('href="tel:12339"');
    const calm = await fileReport(t);
    expect((await reviewer.agent.get(`/staff/cases/${calm.caseNumber}`)).text).not.toContain('现实危险：请立即报警');
  });
});
