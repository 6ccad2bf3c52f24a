import type { Settings } from '../settings/definitions.js';
import type { Severity } from '../reports/lifecycle.js';

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
/** After acknowledgement the reporter hears from us within 7 days (the deadline engine's first-feedback clock). */
export const FIRST_FEEDBACK_MS = 7 * 24 * 3600 * 1000;

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

/**
 * The first feedback after acknowledgement: within 7 days, or sooner when the configured cadence is
 * shorter. The deadline engine (alerts/deadlines.ts) runs the same clock from the same constant.
 */
export function firstFeedbackDueAt(acknowledgedAt: Date, policy: SlaPolicy): Date {
  return new Date(acknowledgedAt.getTime() + Math.min(policy.feedbackDays * DAY_MS, FIRST_FEEDBACK_MS, OUTER_FIRST_FEEDBACK_MS));
}

/** After a reviewer wrote to the reporter: the next feedback is due one cadence later. */
export function nextFeedbackDueAt(now: Date, policy: SlaPolicy): Date {
  return new Date(now.getTime() + policy.feedbackDays * DAY_MS);
}
