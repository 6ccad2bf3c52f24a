import type { Settings } from '../settings/definitions.js';
import type { ReportStatus, Severity } from '../reports/lifecycle.js';

/**
 * Service-level timers (DESIGN §5). Configured ones: a critical tip is triaged within minutes,
 * any other tip acknowledged within hours, and the reporter hears back at least every N days.
 * Outer bounds modelled on the EU whistleblowing directive (2019/1937 art. 9): acknowledgement
 * within 7 days and a first feedback within 3 months of it, whatever the configuration says.
 */
export type SlaPolicy = {
  readonly criticalTriageMinutes: number;
  readonly ackHours: number;
  readonly feedbackDays: number;
};

export const DEFAULT_SLA_POLICY: SlaPolicy = Object.freeze({ criticalTriageMinutes: 60, ackHours: 24, feedbackDays: 30 });

export const OUTER_ACK_MS = 7 * 24 * 3600 * 1000;
export const OUTER_FIRST_FEEDBACK_MS = 90 * 24 * 3600 * 1000;
/** A deadline closer than this is shown as "due soon" (and matched by the queue's due-soon filter). */
export const DUE_SOON_MS = 24 * 3600 * 1000;

const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** The deadlines in force: SLA_* variables, or what an administrator set in the workspace. */
export function slaPolicy(settings: Settings): SlaPolicy {
  return {
    criticalTriageMinutes: settings['deadlines.criticalTriageMinutes'],
    ackHours: settings['deadlines.acknowledgeHours'],
    feedbackDays: settings['deadlines.feedbackDays'],
  };
}

/**
 * Whether the configuration lets a triage deadline fall after the 7-day bound. Only then does the
 * queue's overdue filter need to test the bound separately (it costs the filter its index).
 */
export function needsLegalAckCheck(policy: SlaPolicy): boolean {
  return Math.max(policy.criticalTriageMinutes * 60_000, policy.ackHours * HOUR_MS) > OUTER_ACK_MS;
}

/** When a report that is still new must be triaged (critical) or acknowledged (any other). */
export function triageDueAt(createdAt: Date, severity: Severity, policy: SlaPolicy): Date {
  const window = severity === 'critical' ? policy.criticalTriageMinutes * 60_000 : policy.ackHours * HOUR_MS;
  return new Date(createdAt.getTime() + Math.min(window, OUTER_ACK_MS));
}

/** The first feedback after acknowledgement: the configured cadence, but never later than 3 months. */
export function firstFeedbackDueAt(acknowledgedAt: Date, policy: SlaPolicy): Date {
  return new Date(acknowledgedAt.getTime() + Math.min(policy.feedbackDays * DAY_MS, OUTER_FIRST_FEEDBACK_MS));
}

/** After a reviewer wrote to the reporter: the next feedback is due one cadence later. */
export function nextFeedbackDueAt(now: Date, policy: SlaPolicy): Date {
  return new Date(now.getTime() + policy.feedbackDays * DAY_MS);
}

export type SlaBadge = {
  /** What is due: triage (critical), acknowledgement, the 7-day legal bound, or reporter feedback. */
  readonly kind: 'triage' | 'ack' | 'legal_ack' | 'feedback';
  readonly state: 'overdue' | 'due_soon' | 'ok';
  readonly dueAt: Date;
};

export type SlaFacts = {
  readonly status: ReportStatus;
  readonly severity: Severity;
  readonly createdAt: Date;
  readonly triageDueAt: Date;
  readonly feedbackDueAt: Date;
};

/** The badge the queue and the case page show; computed from plaintext metadata only. */
export function slaBadge(facts: SlaFacts, now: Date): SlaBadge | null {
  if (facts.status === 'closed') return null;
  if (facts.status === 'new') {
    const legalBound = new Date(facts.createdAt.getTime() + OUTER_ACK_MS);
    if (legalBound.getTime() <= now.getTime()) return { kind: 'legal_ack', state: 'overdue', dueAt: legalBound };
    const dueAt = facts.triageDueAt.getTime() < legalBound.getTime() ? facts.triageDueAt : legalBound;
    return { kind: facts.severity === 'critical' ? 'triage' : 'ack', state: stateOf(dueAt, now), dueAt };
  }
  return { kind: 'feedback', state: stateOf(facts.feedbackDueAt, now), dueAt: facts.feedbackDueAt };
}

function stateOf(dueAt: Date, now: Date): SlaBadge['state'] {
  const left = dueAt.getTime() - now.getTime();
  if (left <= 0) return 'overdue';
  return left < DUE_SOON_MS ? 'due_soon' : 'ok';
}
