import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import type { ReportStatus, Severity } from '../reports/lifecycle.js';
import { claimScheduledRun } from '../maintenance/runner.js';
import { readSettings } from '../settings/service.js';
import { FIRST_FEEDBACK_MS, OUTER_ACK_MS, slaPolicy, type SlaPolicy } from '../queue/sla.js';
import { recordAlertEvent, type ClockKind, type DeadlineStage } from './events.js';

/**
 * The deadline engine: per-case clocks computed from the report's plaintext timestamps, and a
 * scheduled scan (once a minute across all instances) that records a 'deadline' alert when a clock
 * is due soon (the assignee), overdue (every key holder of the case) and twice overdue (admins,
 * without the case). Dedupe keys make each clock-stage-recipient alert happen once.
 *
 * Clocks (EU Directive 2019/1937 art. 9 and the configured SLA, see queue/sla.ts):
 * - triage: an immediate-danger or critical tip still new, within `deadlines.criticalTriageMinutes` (60);
 * - ack: any other new tip, within `deadlines.acknowledgeHours` (24), never past 7 days;
 * - first_feedback: after acknowledgement, the reporter hears from us within 7 days;
 * - feedback: afterwards at least every `deadlines.feedbackDays` (30), and a first feedback never later
 *   than 3 months after acknowledgement;
 * - referral_decision: a referral awaiting its second approval is decided within 48 hours.
 */
export type ClockState = 'ok' | DeadlineStage;
export type CaseClock = { readonly kind: ClockKind; readonly startedAt: Date; readonly dueAt: Date; readonly state: ClockState };
/** A clock as the case page lists it: running, or stopped in time ('met') or after its due time ('late'). */
export type ClockRecord = Omit<CaseClock, 'state'> & { readonly state: ClockState | 'met' | 'late'; readonly doneAt: Date | null };

export type ClockFacts = {
  readonly status: ReportStatus;
  readonly severity: Severity;
  readonly immediateDanger: boolean;
  readonly createdAt: Date;
  readonly acknowledgedAt: Date | null;
  readonly triageDueAt: Date;
  readonly feedbackDueAt: Date;
  /** The first message a reviewer wrote to the reporter, or null. */
  readonly firstFeedbackAt: Date | null;
  /** The last message a reviewer wrote to the reporter, or null. */
  readonly lastStaffMessageAt: Date | null;
  /** When the referral now waiting for a second approval was created, or null. */
  readonly referralPendingSince: Date | null;
};

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
export const OUTER_FEEDBACK_MS = 90 * DAY_MS;
export const REFERRAL_DECISION_MS = 48 * HOUR_MS;
/** "Due soon": the last quarter of a clock's window, at most 24 hours. */
const DUE_SOON_CAP_MS = 24 * HOUR_MS;

/** The plaintext report columns every clock is computed from (the queue selects them too). */
export const CLOCK_COLUMNS = [
  'status', 'severity', 'immediate_danger', 'created_at', 'acknowledged_at', 'triage_due_at', 'feedback_due_at',
  'first_feedback_at', 'last_feedback_at', 'referral_pending_since',
] as const;

export type ClockColumns = {
  status: ReportStatus; severity: Severity; immediate_danger: boolean; created_at: Date; acknowledged_at: Date | null;
  triage_due_at: Date; feedback_due_at: Date; first_feedback_at: Date | null; last_feedback_at: Date | null; referral_pending_since: Date | null;
};

export function clockFactsOf(r: ClockColumns): ClockFacts {
  return {
    status: r.status,
    severity: r.severity,
    immediateDanger: r.immediate_danger,
    createdAt: r.created_at,
    acknowledgedAt: r.acknowledged_at,
    triageDueAt: r.triage_due_at,
    feedbackDueAt: r.feedback_due_at,
    firstFeedbackAt: r.first_feedback_at,
    lastStaffMessageAt: r.last_feedback_at,
    referralPendingSince: r.referral_pending_since,
  };
}

/** Where a clock stands: twice overdue once late by its own window again. */
export function clockState(startedAt: Date, dueAt: Date, now: Date): ClockState {
  const window = Math.max(60_000, dueAt.getTime() - startedAt.getTime());
  const left = dueAt.getTime() - now.getTime();
  if (left <= -window) return 'twice_overdue';
  if (left <= 0) return 'overdue';
  return left <= Math.min(DUE_SOON_CAP_MS, window / 4) ? 'due_soon' : 'ok';
}

/**
 * The triage or acknowledgement clock of a tip: its configured deadline, never later than 7 days.
 * Once those 7 days have passed with the tip still new, the clock is the legal bound itself.
 */
function firstResponseClock(f: ClockFacts, now: Date): Omit<CaseClock, 'state'> {
  const legalBound = new Date(f.createdAt.getTime() + OUTER_ACK_MS);
  if (f.status === 'new' && legalBound <= now && f.triageDueAt > legalBound) return { kind: 'legal_ack', startedAt: f.createdAt, dueAt: legalBound };
  const urgent = f.immediateDanger || f.severity === 'critical';
  return { kind: urgent ? 'triage' : 'ack', startedAt: f.createdAt, dueAt: f.triageDueAt < legalBound ? f.triageDueAt : legalBound };
}

function firstFeedbackClock(f: ClockFacts): Omit<CaseClock, 'state'> {
  const ackAt = f.acknowledgedAt ?? f.createdAt;
  return { kind: 'first_feedback', startedAt: ackAt, dueAt: new Date(ackAt.getTime() + FIRST_FEEDBACK_MS) };
}

/** Every running clock of one case, soonest first. A closed case has none. */
export function caseClocks(f: ClockFacts, now: Date): CaseClock[] {
  const clocks: Omit<CaseClock, 'state'>[] = [];
  if (f.status === 'closed') return [];
  if (f.status === 'new') {
    clocks.push(firstResponseClock(f, now));
  } else {
    const ackAt = f.acknowledgedAt ?? f.createdAt;
    if (!f.lastStaffMessageAt || f.lastStaffMessageAt < ackAt) {
      clocks.push(firstFeedbackClock(f));
    } else {
      const outer = new Date(f.lastStaffMessageAt.getTime() + OUTER_FEEDBACK_MS);
      const due = f.feedbackDueAt < outer ? f.feedbackDueAt : outer;
      clocks.push({ kind: 'feedback', startedAt: f.lastStaffMessageAt, dueAt: due });
    }
  }
  if (f.referralPendingSince) {
    clocks.push({ kind: 'referral_decision', startedAt: f.referralPendingSince, dueAt: new Date(f.referralPendingSince.getTime() + REFERRAL_DECISION_MS) });
  }
  return clocks.map((c) => ({ ...c, state: clockState(c.startedAt, c.dueAt, now) })).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
}

/** The clock the queue's badge shows: the soonest running one, or null (closed). */
export function nextClock(f: ClockFacts, now: Date): CaseClock | null {
  return caseClocks(f, now)[0] ?? null;
}

/**
 * The case page's "Deadlines": the clocks already stopped (triage or acknowledgement by the
 * acknowledgement, first feedback by the first message after it), met or late, then the running ones.
 */
export function clockRecords(f: ClockFacts, now: Date): ClockRecord[] {
  const stopped: ClockRecord[] = [];
  const done = (c: Omit<CaseClock, 'state'>, at: Date): ClockRecord => ({ ...c, doneAt: at, state: at <= c.dueAt ? 'met' : 'late' });
  if (f.status !== 'new' && f.acknowledgedAt) {
    stopped.push(done(firstResponseClock({ ...f, status: 'acknowledged' }, f.acknowledgedAt), f.acknowledgedAt));
    const ack = f.acknowledgedAt;
    const firstAfterAck = [f.firstFeedbackAt, f.lastStaffMessageAt].find((at): at is Date => at !== null && at >= ack) ?? null;
    if (firstAfterAck) stopped.push(done(firstFeedbackClock(f), firstAfterAck));
  }
  return [...stopped, ...caseClocks(f, now).map((c) => ({ ...c, doneAt: null }))];
}

/**
 * When the reporter will hear from us next, for the follow-up page: the acknowledgement deadline
 * while new, then the first-feedback or feedback deadline. Null once closed.
 */
export function nextReporterFeedbackAt(f: ClockFacts, now: Date): Date | null {
  const clock = caseClocks(f, now).find((c) => c.kind !== 'referral_decision');
  return clock ? clock.dueAt : null;
}

/** The facts of every open case, in one query (plaintext columns only). */
export async function listClockFacts(db: Executor, reportId?: string): Promise<(ClockFacts & { id: string })[]> {
  let query = db.selectFrom('reports as r').select(['r.id', ...CLOCK_COLUMNS.map((c) => `r.${c}` as const)]).where('r.status', '!=', 'closed');
  if (reportId) query = query.where('r.id', '=', reportId);
  const rows = await query.execute();
  return rows.map((r) => ({ id: r.id, ...clockFactsOf(r) }));
}

export const DEADLINE_JOB = 'alert-deadlines';
const SCAN_INTERVAL_MS = 60_000;

/** Whether any row for this clock and stage was already written (the dedupe key's prefix). */
async function alreadyAnnounced(db: Executor, prefix: string): Promise<boolean> {
  const row = await db
    .selectFrom('alert_outbox')
    .select(sql.lit(1).as('one'))
    .where('dedupe_key', '>=', prefix)
    .where('dedupe_key', '<', `${prefix}~`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The scheduled scan: claims this minute in scheduled_jobs (once across instances, in the same
 * transaction as the alerts it writes), then records one 'deadline' event per clock that reached a
 * stage not yet announced. Returns the number of events recorded, or null when not due here.
 */
export async function runDeadlineScan(deps: { db: Kysely<DB>; config: Config; logger?: Logger }, now = new Date(), intervalMs = SCAN_INTERVAL_MS): Promise<number | null> {
  return deps.db.transaction().execute(async (trx) => {
    if (!(await claimScheduledRun(trx, DEADLINE_JOB, now, intervalMs))) return null;
    let recorded = 0;
    for (const facts of await listClockFacts(trx)) {
      for (const clock of caseClocks(facts, now)) {
        if (clock.state === 'ok') continue;
        const prefix = `deadline:${facts.id}:${clock.kind}:${clock.dueAt.toISOString()}:${clock.state}:`;
        if (await alreadyAnnounced(trx, prefix)) continue;
        await recordAlertEvent(trx, { type: 'deadline', reportId: facts.id, clock: clock.kind, stage: clock.state, dueAt: clock.dueAt }, now);
        recorded++;
      }
    }
    if (recorded > 0) deps.logger?.info({ recorded }, 'deadline alerts recorded');
    return recorded;
  });
}

/** The SLA policy in force (settings), for callers that compute clocks themselves. */
export async function currentPolicy(deps: { db: Kysely<DB>; config: Config }): Promise<SlaPolicy> {
  return slaPolicy(await readSettings({ database: { db: deps.db }, config: deps.config }));
}
