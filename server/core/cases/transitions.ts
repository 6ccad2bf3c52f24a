import type { ReportStatus } from '../reports/lifecycle.js';

/**
 * The case lifecycle of DESIGN §5:
 *   new → acknowledged → in_review ↔ awaiting_reporter → referred → closed(outcome)
 *
 * - `awaiting_reporter` is entered only by asking the reporter a question (a status without the
 *   question would leave them nothing to answer), and `referred` only by recording a referral
 *   (DESIGN §6: a referral is a record, not a status word). Both are in the table so that those
 *   actions are checked against it too.
 * - A new report may be asked a question or closed straight away (spam, a duplicate); leaving
 *   `new` in any way counts as its acknowledgement.
 * - A closed case can be reopened into review; its outcome is then cleared.
 */
export const TRANSITIONS: Readonly<Record<ReportStatus, readonly ReportStatus[]>> = Object.freeze({
  new: ['acknowledged', 'awaiting_reporter', 'referred', 'closed'],
  acknowledged: ['in_review', 'awaiting_reporter', 'referred', 'closed'],
  in_review: ['awaiting_reporter', 'referred', 'closed'],
  awaiting_reporter: ['in_review', 'referred', 'closed'],
  referred: ['in_review', 'referred', 'closed'],
  closed: ['in_review'],
});

/** Targets that need their own form (a question, a referral record) rather than the status form. */
export const DEDICATED_TARGETS: readonly ReportStatus[] = ['awaiting_reporter', 'referred'];

export function canTransition(from: ReportStatus, to: ReportStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** What the status form offers from `from`. */
export function allowedTransitions(from: ReportStatus): ReportStatus[] {
  return TRANSITIONS[from].filter((to) => !DEDICATED_TARGETS.includes(to));
}
