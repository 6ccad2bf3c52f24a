import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY, needsLegalAckCheck, firstFeedbackDueAt, nextFeedbackDueAt, triageDueAt } from '../../server/core/queue/sla.js';
import { clockFactsOf, clockRecords, nextClock, type ClockFacts } from '../../server/core/alerts/deadlines.js';

const created = new Date('2026-03-01T00:00:00Z');
const hours = (n: number) => new Date(created.getTime() + n * 3600_000);
const facts = (o: Partial<ClockFacts> = {}): ClockFacts => ({
  status: 'new',
  severity: 'normal',
  immediateDanger: false,
  createdAt: created,
  acknowledgedAt: null,
  triageDueAt: triageDueAt(created, o.severity ?? 'normal', DEFAULT_SLA_POLICY),
  feedbackDueAt: hours(30 * 24),
  firstFeedbackAt: null,
  lastStaffMessageAt: null,
  referralPendingSince: null,
  ...o,
});

describe('SLA deadlines', () => {
  it('gives critical tips one hour to triage and others 24 hours to acknowledge', () => {
    expect(triageDueAt(created, 'critical', DEFAULT_SLA_POLICY)).toEqual(hours(1));
    expect(triageDueAt(created, 'high', DEFAULT_SLA_POLICY)).toEqual(hours(24));
  });

  it('never lets configuration push acknowledgement past 7 days or first feedback past 3 months', () => {
    const lax = { criticalTriageMinutes: 60, ackHours: 24 * 30, feedbackDays: 200 };
    expect(triageDueAt(created, 'normal', lax)).toEqual(hours(7 * 24));
    expect(firstFeedbackDueAt(created, lax)).toEqual(hours(7 * 24));
    expect(firstFeedbackDueAt(created, { ...DEFAULT_SLA_POLICY, feedbackDays: 3 })).toEqual(hours(3 * 24));
    expect(firstFeedbackDueAt(created, DEFAULT_SLA_POLICY)).toEqual(hours(7 * 24));
    expect(nextFeedbackDueAt(created, DEFAULT_SLA_POLICY)).toEqual(hours(30 * 24));
    expect(needsLegalAckCheck(DEFAULT_SLA_POLICY)).toBe(false);
    expect(needsLegalAckCheck(lax)).toBe(true);
  });
});

describe('SLA badge: the deadline engine soonest clock', () => {
  it('shows triage for critical, acknowledgement for the rest, and feedback once acknowledged', () => {
    const critical = facts({ severity: 'critical' });
    expect(nextClock(critical, hours(0.25))).toMatchObject({ kind: 'triage', state: 'ok', dueAt: hours(1) });
    expect(nextClock(critical, hours(0.8))).toMatchObject({ kind: 'triage', state: 'due_soon' });
    expect(nextClock(critical, hours(1.5))).toMatchObject({ kind: 'triage', state: 'overdue' });
    expect(nextClock(critical, hours(2))).toMatchObject({ kind: 'triage', state: 'twice_overdue' });
    expect(nextClock(facts({ immediateDanger: true, triageDueAt: hours(1) }), hours(0.5))).toMatchObject({ kind: 'triage' });
    expect(nextClock(facts(), hours(25))).toMatchObject({ kind: 'ack', state: 'overdue', dueAt: hours(24) });
    const acked = facts({ status: 'in_review', acknowledgedAt: hours(2) });
    expect(nextClock(acked, hours(48))).toMatchObject({ kind: 'first_feedback', state: 'ok', dueAt: hours(2 + 7 * 24) });
    expect(nextClock(acked, hours(7 * 24))).toMatchObject({ kind: 'first_feedback', state: 'due_soon' });
    expect(nextClock(acked, hours(8 * 24))).toMatchObject({ kind: 'first_feedback', state: 'overdue' });
    const answered = { ...acked, status: 'awaiting_reporter' as const, firstFeedbackAt: hours(3), lastStaffMessageAt: hours(3), feedbackDueAt: hours(3 + 30 * 24) };
    expect(nextClock(answered, hours(48))).toMatchObject({ kind: 'feedback', state: 'ok' });
    expect(nextClock(answered, hours(30 * 24 - 2))).toMatchObject({ kind: 'feedback', state: 'due_soon' });
    expect(nextClock({ ...answered, status: 'referred' }, hours(31 * 24))).toMatchObject({ kind: 'feedback', state: 'overdue' });
  });

  it('flags the 7-day legal bound even when the configured deadline is later', () => {
    const late = facts({ triageDueAt: hours(20 * 24) });
    expect(nextClock(late, hours(6 * 24 + 1))).toMatchObject({ kind: 'ack', state: 'due_soon', dueAt: hours(7 * 24) });
    expect(nextClock(late, hours(8 * 24))).toMatchObject({ kind: 'legal_ack', state: 'overdue' });
  });

  it('shows nothing for closed cases', () => {
    expect(nextClock(facts({ status: 'closed' }), hours(1000))).toBeNull();
  });

  it('reads the same clocks from the report columns the queue selects', () => {
    const row = {
      status: 'in_review' as const, severity: 'high' as const, immediate_danger: false, created_at: created, acknowledged_at: hours(1),
      triage_due_at: hours(24), feedback_due_at: hours(40 * 24), first_feedback_at: null, last_feedback_at: null, referral_pending_since: hours(2),
    };
    expect(clockFactsOf(row)).toMatchObject({ acknowledgedAt: hours(1), referralPendingSince: hours(2), lastStaffMessageAt: null });
    expect(nextClock(clockFactsOf(row), hours(3))).toMatchObject({ kind: 'referral_decision', dueAt: hours(50) });
  });
});

describe('deadline records on the case page', () => {
  it('lists stopped clocks as met or late, then the running ones', () => {
    const onTime = facts({ status: 'in_review', acknowledgedAt: hours(5), firstFeedbackAt: hours(6), lastStaffMessageAt: hours(6), feedbackDueAt: hours(6 + 30 * 24) });
    expect(clockRecords(onTime, hours(7)).map((c) => [c.kind, c.state])).toEqual([['ack', 'met'], ['first_feedback', 'met'], ['feedback', 'ok']]);
    const slow = facts({ status: 'in_review', acknowledgedAt: hours(30), firstFeedbackAt: hours(30 + 8 * 24), lastStaffMessageAt: hours(30 + 8 * 24), feedbackDueAt: hours(60 * 24) });
    const records = clockRecords(slow, hours(40 * 24));
    expect(records.map((c) => [c.kind, c.state])).toEqual([['ack', 'late'], ['first_feedback', 'late'], ['feedback', 'ok']]);
    expect(records[0]).toMatchObject({ dueAt: hours(24), doneAt: hours(30) });
  });

  it('keeps the stopped clocks of a closed case and starts none', () => {
    const closed = facts({ status: 'closed', acknowledgedAt: hours(1) });
    expect(clockRecords(closed, hours(1000)).map((c) => [c.kind, c.state])).toEqual([['ack', 'met']]);
    expect(clockRecords(facts(), hours(1)).map((c) => [c.kind, c.state, c.doneAt])).toEqual([['ack', 'ok', null]]);
  });
});
