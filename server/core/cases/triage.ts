import { randomUUID } from 'node:crypto';
import type { Transaction, Updateable } from 'kysely';
import type { AppContext } from '../context.js';
import type { DB, ReportsTable } from '../db/schema.js';
import type { ReportOutcome, ReportStatus, Severity } from '../reports/lifecycle.js';
import { sealRecord, utf8 } from '../crypto/index.js';
import { appendMessage, sealRewardNote } from '../reports/messages.js';
import { openReportKey } from '../reports/keys.js';
import type { SystemMessageCode } from '../reports/model.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { firstFeedbackDueAt, nextFeedbackDueAt, slaPolicy, triageDueAt } from '../queue/sla.js';
import { readSettings } from '../settings/service.js';
import { auditCase, CaseActionRefused, withCase, type OpenCase } from './access.js';
import { insertNote, markFirstFeedback, updateCase } from './repository.js';
import { noteBinding } from './note-binding.js';
import { canTransition, DEDICATED_TARGETS } from './transitions.js';

/**
 * Triage actions. Each runs in one transaction with the case row locked (withCase), checks what
 * it must, writes, tells the reporter where DESIGN says so, and appends its audit event last.
 * Audit details are plain facts (statuses, codes, counts), never what anyone wrote.
 */

type Trx = Transaction<DB>;

/**
 * Moves a case to `to`, validated by the transition table. Leaving `new` is the acknowledgement:
 * it starts the reporter-feedback clock. Closing needs an outcome; reopening clears it.
 */
export async function moveStatus(ctx: AppContext, trx: Trx, c: OpenCase, to: ReportStatus, opts: { outcome?: ReportOutcome | null; notify?: SystemMessageCode | null; extra?: Updateable<ReportsTable> } = {}) {
  const from = c.row.status;
  if (!canTransition(from, to)) throw new CaseActionRefused('status', 'to', 'cases.errors.transition');
  if (to === 'closed' && !opts.outcome) throw new CaseActionRefused('status', 'outcome', 'cases.errors.outcomeRequired');
  const now = new Date();
  const change: Updateable<ReportsTable> = { status: to, ...opts.extra };
  if (from === 'new') {
    change.acknowledged_at = now;
    change.feedback_due_at = firstFeedbackDueAt(now, slaPolicy(await readSettings(ctx, trx)));
  }
  if (to === 'closed') Object.assign(change, { outcome: opts.outcome, closed_at: now });
  if (from === 'closed') Object.assign(change, { outcome: null, closed_at: null, duplicate_of: null });
  await updateCase(trx, c.row.id, change);
  const notify = opts.notify === undefined ? 'status_changed' : opts.notify;
  if (notify) await appendMessage(trx, { reportId: c.row.id, authorKind: 'system', systemCode: notify }, c.reportKey);
  return { from, to, outcome: to === 'closed' ? opts.outcome ?? null : null };
}

export async function acknowledgeCase(ctx: AppContext, staff: StaffPrincipal, caseNumber: string): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    if (c.row.status !== 'new') throw new CaseActionRefused('acknowledge', 'acknowledge', 'cases.errors.alreadyAcknowledged');
    await moveStatus(ctx, trx, c, 'acknowledged');
    await auditCase(trx, staff, c, 'case.acknowledged');
  });
}

export async function changeStatus(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, input: { to: ReportStatus; outcome?: ReportOutcome }): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    if (DEDICATED_TARGETS.includes(input.to)) throw new CaseActionRefused('status', 'to', `cases.errors.use_${input.to}`);
    if (input.to === 'closed' && input.outcome === 'duplicate') throw new CaseActionRefused('status', 'outcome', 'cases.errors.useDuplicateForm');
    const moved = await moveStatus(ctx, trx, c, input.to, { outcome: input.outcome ?? null });
    await auditCase(trx, staff, c, 'case.status_changed', moved);
  });
}

export async function setSeverity(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, severity: Severity): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    const from = c.row.severity;
    if (from === severity) return;
    const change: Updateable<ReportsTable> = { severity };
    // While the case is new, its triage deadline follows its severity (critical: minutes, not hours).
    if (c.row.status === 'new') change.triage_due_at = triageDueAt(c.row.created_at, severity, slaPolicy(await readSettings(ctx, trx)));
    await updateCase(trx, c.row.id, change);
    await auditCase(trx, staff, c, 'case.severity_set', { from, to: severity });
  });
}

export async function setLabels(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, labels: string[]): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    await updateCase(trx, c.row.id, { labels });
    await auditCase(trx, staff, c, 'case.labels_set', { count: labels.length });
  });
}

/** Writes to the reporter under K; any reviewer message is feedback and restarts the feedback clock. */
async function messageReporter(ctx: AppContext, trx: Trx, c: OpenCase, staff: StaffPrincipal, body: string): Promise<string> {
  const id = await appendMessage(trx, { reportId: c.row.id, authorKind: 'staff', authorId: staff.id, body }, c.reportKey);
  const now = new Date();
  await updateCase(trx, c.row.id, { feedback_due_at: nextFeedbackDueAt(now, slaPolicy(await readSettings(ctx, trx))), last_feedback_at: now });
  await markFirstFeedback(trx, c.row.id, now);
  return id;
}

export async function sendMessage(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, body: string): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    if (c.row.status === 'new') await moveStatus(ctx, trx, c, 'acknowledged', { notify: null });
    const messageId = await messageReporter(ctx, trx, c, staff, body);
    await auditCase(trx, staff, c, 'case.message_sent', {}, messageId);
  });
}

/** Asks the reporter a question: the question itself, an 'info_requested' notice, status awaiting_reporter. */
export async function requestInformation(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, question: string): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    if (!canTransition(c.row.status, 'awaiting_reporter')) throw new CaseActionRefused('requestInfo', 'question', 'cases.errors.transition');
    const messageId = await messageReporter(ctx, trx, c, staff, question);
    const moved = await moveStatus(ctx, trx, c, 'awaiting_reporter', { notify: 'info_requested' });
    await auditCase(trx, staff, c, 'case.info_requested', { from: moved.from }, messageId);
  });
}

/** Marks the report reward-eligible with a note the reporter reads (sealed under K, which the reporter holds). */
export async function markReward(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, note: string): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    await updateCase(trx, c.row.id, {
      reward_eligible: true,
      reward_note_sealed: sealRewardNote(c.reportKey, c.row.id, note),
      feedback_due_at: nextFeedbackDueAt(new Date(), slaPolicy(await readSettings(ctx, trx))),
    });
    await appendMessage(trx, { reportId: c.row.id, authorKind: 'system', systemCode: 'reward' }, c.reportKey);
    await auditCase(trx, staff, c, 'case.reward_marked', { updated: c.row.reward_eligible });
  });
}

/**
 * An internal note, sealed under KN: the reporter holds K but never KN, so no reporter session can
 * read it. A reviewer without KN cannot write one either (we could not seal it for the others).
 */
export async function addNote(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, body: string): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    const notesKey = await openReportKey(trx, c.row.id, 'notes', c.actor);
    if (!notesKey) throw new CaseActionRefused('note', 'body', 'cases.errors.noNotesKey');
    const id = randomUUID();
    try {
      await insertNote(trx, { id, reportId: c.row.id, authorId: staff.id, bodySealed: sealRecord(notesKey, 'note', `${c.row.id}/${id}`, utf8(body), noteBinding(staff.id)) });
    } finally {
      notesKey.fill(0);
    }
    await auditCase(trx, staff, c, 'case.note_added', {}, id);
  });
}
