import type { Executor } from '../db/executor.js';
import type { AlertDigest } from '../db/schema.js';
import {
  activeStaffWhere,
  enabledChannelIds,
  findReportFacts,
  insertOutboxRows,
  staffHoldingKey,
  type AlertRecipient,
  type NewOutboxRow,
} from './repository.js';

/**
 * What can happen that someone must hear about. Callers record the event with the transaction that
 * makes the change (`recordAlertEvent(trx, …)`), so an alert exists exactly when the change does.
 * An event names a report by id only; the outbox keeps the case number and severity (plaintext
 * metadata) and never a word of the tip, a reporter detail, a file name or a category.
 */
export type AlertEvent =
  /** A new tip arrived. Immediate danger or critical: every key holder at once; otherwise each person's digest choice. */
  | { readonly type: 'report.received'; readonly reportId: string }
  /** The reporter wrote: the assignee (or, with nobody assigned, every key holder). */
  | { readonly type: 'reporter.replied'; readonly reportId: string }
  /** A reviewer asked to see the reporter's identity: the custodians who hold its key. */
  | { readonly type: 'identity.requested'; readonly reportId: string }
  /** A referral waits for a second approval: the other reviewers of the case. */
  | { readonly type: 'referral.awaiting_approval'; readonly reportId: string; readonly requestedBy: string }
  /** The reporter asked for protection: every key holder of the case, at once, highest priority. */
  | { readonly type: 'protection.requested'; readonly reportId: string }
  /** A new key holder waits for a custodian's fingerprint check: the custodians. */
  | { readonly type: 'keyholder.awaiting_approval'; readonly staffId: string }
  /** The audit chain failed verification or a checkpoint is missing: the admins. */
  | { readonly type: 'audit.verification_failed'; readonly reason: 'chain' | 'checkpoint' }
  /** A case clock is due soon, overdue or twice overdue (server/core/alerts/deadlines.ts). */
  | { readonly type: 'deadline'; readonly reportId: string; readonly clock: ClockKind; readonly stage: DeadlineStage; readonly dueAt: Date };

export type AlertEventType = AlertEvent['type'];
export type ClockKind = 'triage' | 'ack' | 'legal_ack' | 'first_feedback' | 'feedback' | 'referral_decision';
export type DeadlineStage = 'due_soon' | 'overdue' | 'twice_overdue';

/** Lower is sooner: the worker claims urgent rows first. */
export const PRIORITY = { urgent: 0, normal: 1, digest: 2 } as const;

const HOUR_MS = 3600_000;

/** When a digest row is sent: the next full hour, or 01:00 UTC (09:00 in China) for the daily one. */
export function digestTime(digest: Exclude<AlertDigest, 'immediate'>, now: Date): Date {
  if (digest === 'hourly') return new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS);
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 1));
  if (next.getTime() <= now.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next;
}

type Base = Pick<NewOutboxRow, 'event' | 'report_id' | 'case_number' | 'severity' | 'due_kind' | 'due_at' | 'stage' | 'priority'>;

/**
 * Writes the outbox rows for one event: one per recipient with an e-mail address, plus one per
 * enabled group channel for urgent events. Returns the number of rows written (0 is fine: nobody to
 * tell, or a deadline stage already announced).
 */
export async function recordAlertEvent(trx: Executor, event: AlertEvent, now = new Date()): Promise<number> {
  const rows = await rowsFor(trx, event, now);
  return insertOutboxRows(trx, rows);
}

async function rowsFor(db: Executor, event: AlertEvent, now: Date): Promise<NewOutboxRow[]> {
  switch (event.type) {
    case 'keyholder.awaiting_approval':
      return toPeople(await activeStaffWhere(db, 'custodians'), { event: event.type, priority: PRIORITY.normal }, now);
    case 'audit.verification_failed': {
      const base = { event: event.type, priority: PRIORITY.urgent, due_kind: event.reason };
      return [...toPeople(await activeStaffWhere(db, 'admins'), base, now), ...(await toChannels(db, base, now))];
    }
    default:
      return rowsForCase(db, event, now);
  }
}

async function rowsForCase(db: Executor, event: Extract<AlertEvent, { reportId: string }>, now: Date): Promise<NewOutboxRow[]> {
  const report = await findReportFacts(db, event.reportId);
  if (!report) return [];
  const base: Base = { event: event.type, report_id: report.id, case_number: report.case_number, severity: report.severity, priority: PRIORITY.normal };
  const holders = () => staffHoldingKey(db, report.id);
  switch (event.type) {
    case 'report.received': {
      if (report.immediate_danger || report.severity === 'critical') {
        const urgent = { ...base, priority: PRIORITY.urgent, due_kind: 'triage' };
        return [...toPeople(await holders(), urgent, now), ...(await toChannels(db, urgent, now))];
      }
      return toPeople(await holders(), { ...base, due_kind: 'ack' }, now, { digestible: true });
    }
    case 'protection.requested': {
      const urgent = { ...base, priority: PRIORITY.urgent };
      return [...toPeople(await holders(), urgent, now), ...(await toChannels(db, urgent, now))];
    }
    case 'reporter.replied': {
      const all = await holders();
      const assignee = all.filter((s) => s.id === report.assignee_id);
      return toPeople(assignee.length > 0 ? assignee : all, base, now);
    }
    case 'identity.requested':
      return toPeople(await staffHoldingKey(db, report.id, 'identity'), base, now);
    case 'referral.awaiting_approval':
      return toPeople((await holders()).filter((s) => s.id !== event.requestedBy), base, now);
    case 'deadline':
      return deadlineRows(db, event, report.assignee_id, base, now);
  }
}

async function deadlineRows(db: Executor, event: Extract<AlertEvent, { type: 'deadline' }>, assigneeId: string | null, base: Base, now: Date): Promise<NewOutboxRow[]> {
  const clockKey = `deadline:${event.reportId}:${event.clock}:${event.dueAt.toISOString()}:${event.stage}`;
  const row = { ...base, due_kind: event.clock, due_at: event.dueAt, stage: event.stage };
  if (event.stage === 'twice_overdue') {
    // Admins hold no key for the case: they hear that something needs them, not which case.
    const admins = await activeStaffWhere(db, 'admins');
    const countOnly = { event: event.type, priority: PRIORITY.urgent, due_kind: event.clock, stage: event.stage, count: 1 };
    return toPeople(admins, countOnly, now, { dedupe: clockKey });
  }
  const holders = await staffHoldingKey(db, event.reportId);
  const assignee = holders.filter((s) => s.id === assigneeId);
  const recipients = event.stage === 'due_soon' && assignee.length > 0 ? assignee : holders;
  return toPeople(recipients, { ...row, priority: event.stage === 'overdue' ? PRIORITY.urgent : PRIORITY.normal }, now, { dedupe: clockKey });
}

function toPeople(people: readonly AlertRecipient[], base: Partial<Base> & { event: string }, now: Date, options: { digestible?: boolean; dedupe?: string } = {}): NewOutboxRow[] {
  return people
    .filter((p) => p.email)
    .map((p) => {
      const digest = options.digestible && p.digest !== 'immediate' ? p.digest : null;
      return {
        ...base,
        transport: 'email' as const,
        staff_id: p.id,
        digest,
        priority: digest ? PRIORITY.digest : (base.priority ?? PRIORITY.normal),
        next_attempt_at: digest ? digestTime(digest, now) : now,
        created_at: now,
        dedupe_key: options.dedupe ? `${options.dedupe}:staff:${p.id}` : null,
      };
    });
}

async function toChannels(db: Executor, base: Partial<Base> & { event: string }, now: Date, dedupe?: string): Promise<NewOutboxRow[]> {
  const ids = await enabledChannelIds(db);
  return ids.map((id) => ({ ...base, transport: 'webhook' as const, channel_id: id, next_attempt_at: now, created_at: now, dedupe_key: dedupe ? `${dedupe}:channel:${id}` : null }));
}
