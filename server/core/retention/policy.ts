import type { ReportOutcome, ReportStatus } from '../reports/lifecycle.js';
import type { LegalHoldReason } from '../db/schema.js';
import type { Settings } from '../settings/definitions.js';

/**
 * How long a closed case is kept (docs/operations.md "Retention"). Periods count from closing, in
 * whole days; open cases never expire, and a legal hold suspends deletion for as long as it stands.
 *
 * - Unfounded (180 days by default): nothing was found, so the purpose is achieved at closing; the
 *   months after let a reporter read the outcome and a reviewer link a repeat tip.
 * - Referred to the authorities (3 years by default), counted from the referral's last update: the
 *   receiving body may come back with questions while its own proceedings run.
 * - Every other closure (1 year by default): handled internally, duplicate, insufficient
 *   information, withdrawn. A year covers a repeat of the same parcel route or sender and one
 *   annual internal review, and is still short of anything a statistic needs (the tombstone keeps those).
 */
export type RetentionRule = 'unfounded' | 'referred' | 'other';

export type RetentionPeriods = { readonly unfoundedDays: number; readonly referredDays: number; readonly otherDays: number };

export const LEGAL_HOLD_REASONS: readonly LegalHoldReason[] = ['litigation', 'authority_request', 'internal_investigation', 'regulatory'];

const DAY_MS = 86_400_000;

export function periodsFrom(settings: Settings): RetentionPeriods {
  return {
    unfoundedDays: settings['retention.unfoundedDays'],
    referredDays: settings['retention.referredDays'],
    otherDays: settings['retention.otherDays'],
  };
}

export function ruleOf(outcome: ReportOutcome | null): RetentionRule {
  if (outcome === 'unfounded') return 'unfounded';
  if (outcome === 'referred_to_authority') return 'referred';
  return 'other';
}

export function periodDays(rule: RetentionRule, periods: RetentionPeriods): number {
  return rule === 'unfounded' ? periods.unfoundedDays : rule === 'referred' ? periods.referredDays : periods.otherDays;
}

export type RetentionFacts = {
  readonly status: ReportStatus;
  readonly outcome: ReportOutcome | null;
  readonly closedAt: Date | null;
  readonly legalHold: boolean;
  readonly shreddedAt: Date | null;
  /** The newest referral or referral update of the case, if any. */
  readonly lastReferralAt: Date | null;
};

/**
 * When the case's keys and sealed data are destroyed, or null when it is not scheduled (open,
 * on legal hold, or already shredded).
 */
export function deletionDate(facts: RetentionFacts, periods: RetentionPeriods): Date | null {
  if (facts.status !== 'closed' || !facts.closedAt || facts.legalHold || facts.shreddedAt) return null;
  const rule = ruleOf(facts.outcome);
  let from = facts.closedAt.getTime();
  if (rule === 'referred' && facts.lastReferralAt && facts.lastReferralAt.getTime() > from) from = facts.lastReferralAt.getTime();
  return new Date(from + periodDays(rule, periods) * DAY_MS);
}

export function isDue(facts: RetentionFacts, periods: RetentionPeriods, asOf: Date): boolean {
  const date = deletionDate(facts, periods);
  return date !== null && date.getTime() <= asOf.getTime();
}
