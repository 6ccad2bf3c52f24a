import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY, needsLegalAckCheck, firstFeedbackDueAt, nextFeedbackDueAt, slaBadge, triageDueAt, type SlaFacts } from '../../server/core/queue/sla.js';

const created = new Date('2026-03-01T00:00:00Z');
const hours = (n: number) => new Date(created.getTime() + n * 3600_000);
const facts = (o: Partial<SlaFacts> = {}): SlaFacts => ({
  status: 'new',
  severity: 'normal',
  createdAt: created,
  triageDueAt: triageDueAt(created, o.severity ?? 'normal', DEFAULT_SLA_POLICY),
  feedbackDueAt: hours(30 * 24),
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
    expect(firstFeedbackDueAt(created, lax)).toEqual(hours(90 * 24));
    expect(firstFeedbackDueAt(created, DEFAULT_SLA_POLICY)).toEqual(hours(30 * 24));
    expect(nextFeedbackDueAt(created, DEFAULT_SLA_POLICY)).toEqual(hours(30 * 24));
    expect(needsLegalAckCheck(DEFAULT_SLA_POLICY)).toBe(false);
    expect(needsLegalAckCheck(lax)).toBe(true);
  });
});

describe('SLA badge', () => {
  it('shows triage for critical, acknowledgement for the rest, and feedback once acknowledged', () => {
    expect(slaBadge(facts({ severity: 'critical' }), hours(0.5))).toMatchObject({ kind: 'triage', state: 'due_soon' });
    expect(slaBadge(facts({ severity: 'critical' }), hours(2))).toMatchObject({ kind: 'triage', state: 'overdue' });
    expect(slaBadge(facts(), hours(25))).toMatchObject({ kind: 'ack', state: 'overdue', dueAt: hours(24) });
    expect(slaBadge(facts({ status: 'in_review' }), hours(48))).toMatchObject({ kind: 'feedback', state: 'ok' });
    expect(slaBadge(facts({ status: 'awaiting_reporter' }), hours(30 * 24 - 2))).toMatchObject({ kind: 'feedback', state: 'due_soon' });
    expect(slaBadge(facts({ status: 'referred' }), hours(31 * 24))).toMatchObject({ kind: 'feedback', state: 'overdue' });
  });

  it('flags the 7-day legal bound even when the configured deadline is later', () => {
    const late = facts({ triageDueAt: hours(20 * 24) });
    expect(slaBadge(late, hours(6 * 24 + 1))).toMatchObject({ kind: 'ack', state: 'due_soon', dueAt: hours(7 * 24) });
    expect(slaBadge(late, hours(8 * 24))).toMatchObject({ kind: 'legal_ack', state: 'overdue' });
  });

  it('shows nothing for closed cases', () => {
    expect(slaBadge(facts({ status: 'closed' }), hours(1000))).toBeNull();
  });
});
