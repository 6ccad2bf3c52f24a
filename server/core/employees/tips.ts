import type { AppContext } from '../context.js';
import { appendAudit } from '../audit/repository.js';
import { openJson } from '../crypto/index.js';
import { openReportKey, type KeyPrincipal } from '../reports/keys.js';
import { appendMessage, listMessages, openRewardNote } from '../reports/messages.js';
import { rewardClaimStatus } from '../rewards/reporter.js';
import { attachStagedFiles, listReportAttachments, streamAttachment, type StagedFile } from '../reports/attachments.js';
import { markReadByReporter } from '../reports/message-repository.js';
import { touchReporterActivity } from '../reports/report-repository.js';
import type { ReportPayload } from '../reports/model.js';
import type { EmployeePrincipal } from './principal.js';
import { payloadBinding } from '../reports/payload-binding.js';
import { findEmployeeTip } from './repository.js';
import { findOwnTips, tipKeyPair, tipSecretOf } from './tip-index.js';
import type { Executor } from '../db/executor.js';
import { recordAlertEvent } from '../alerts/events.js';

/** Case numbers as newCaseNumber() makes them; anything else cannot be a tip and is a 404. */
export const CASE_NUMBER = /^PG-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

/**
 * "My tips": every report whose tag and reporter key come from this account's tip secret, newest
 * first, without opening any report key.
 */
export async function listMyTips(ctx: AppContext, employee: EmployeePrincipal) {
  const secret = tipSecretOf(employee.privateKey);
  const { tips } = await findOwnTips(ctx.database.db, secret);
  secret.fill(0);
  const newestFirst = tips.sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || (a.id < b.id ? 1 : -1));
  return newestFirst.map((r) => ({
    caseNumber: r.case_number,
    status: r.status,
    outcome: r.outcome,
    categories: r.categories,
    files: r.attachment_count,
    replies: Number(r.replies ?? 0),
    unread: Number(r.unread ?? 0),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    // Shredded under the retention policy: listed (the tag stays, so later tips are still found), never opened.
    shredded: r.shredded_at !== null,
  }));
}

/**
 * Opens the report key K through the grant sealed to the tip's own key pair, derived from the
 * account's tip secret and the row's tag (the grant an anonymous reporter's receipt key opens).
 * Null — a 404 to the caller — when the tag and reporter key are not this employee's or the grant
 * does not open: ownership is a matter of cryptography, not of a column naming the account.
 */
export async function withTipKey<T>(
  db: Executor,
  employee: EmployeePrincipal,
  caseNumber: string,
  use: (tip: TipRow, key: Uint8Array, principal: KeyPrincipal & { kind: 'reporter' }) => Promise<T>,
): Promise<T | null> {
  if (!CASE_NUMBER.test(caseNumber)) return null;
  const tip = await findEmployeeTip(db, caseNumber);
  if (!tip) return null;
  const secret = tipSecretOf(employee.privateKey);
  const pair = tipKeyPair(secret, tip);
  secret.fill(0);
  if (!pair) return null;
  const principal = { kind: 'reporter' as const, ...pair };
  try {
    const key = await openReportKey(db, tip.id, 'report', principal);
    if (!key) return null;
    try {
      return await use(tip, key, principal);
    } finally {
      key.fill(0);
    }
  } finally {
    pair.privateKey.fill(0);
  }
}

type TipRow = NonNullable<Awaited<ReturnType<typeof findEmployeeTip>>>;

/** One tip with its payload, thread and files, decrypted for the employee; marks the thread read. */
export async function openMyTip(ctx: AppContext, employee: EmployeePrincipal, caseNumber: string) {
  const { db } = ctx.database;
  return withTipKey(db, employee, caseNumber, async (tip, key) => {
    const payload = openJson<ReportPayload>(key, 'payload', tip.id, new Uint8Array(tip.payload_sealed), payloadBinding({ channel: 'employee', created_at: tip.created_at }));
    const [messages, files] = await Promise.all([listMessages(db, tip.id, key), listReportAttachments(db, tip.id, key)]);
    await markReadByReporter(db, tip.id);
    return {
      caseNumber: tip.case_number,
      reward: tip.reward_eligible
        ? { note: tip.reward_note_sealed ? openRewardNote(key, tip.id, new Uint8Array(tip.reward_note_sealed)) : null, ...(await rewardClaimStatus(db, tip.id)) }
        : null,
      protectionRequestedAt: tip.protection_requested_at,
      status: tip.status,
      outcome: tip.outcome,
      categories: tip.categories,
      consentLevel: tip.consent_level,
      createdAt: tip.created_at,
      immediateDanger: payload.immediateDanger,
      description: payload.description,
      waybillNumbers: payload.parcel.waybillNumbers,
      messages: messages.map((m) => ({ ...m, files: files.filter((f) => f.messageId === m.id).map((f) => ({ id: f.id, ...f.meta })) })),
      files: files.map((f) => ({ id: f.id, name: f.meta.name, size: f.meta.size, type: f.meta.type, uploadedBy: f.uploadedBy, createdAt: f.createdAt })),
    };
  });
}

/**
 * The employee answers in the thread. Sealed under K like any reporter message; audited as the
 * report core does for reporters (actor 'reporter', no id), so the audit log does not become a
 * second record of who reported what.
 */
export async function replyToMyTip(ctx: AppContext, employee: EmployeePrincipal, caseNumber: string, body: string): Promise<boolean> {
  const done = await ctx.database.db.transaction().execute((trx) =>
    withTipKey(trx, employee, caseNumber, async (tip, key) => {
      await appendMessage(trx, { reportId: tip.id, authorKind: 'reporter', body }, key);
      await touchReporterActivity(trx, tip.id);
      await appendAudit(trx, { actorKind: 'reporter', event: 'report.reporter_message', caseId: tip.id });
      await recordAlertEvent(trx, { type: 'reporter.replied', reportId: tip.id });
      return true;
    }),
  );
  return done === true;
}

/** A file of one of the employee's tips: its metadata and a plaintext stream, or null (404). */
export async function openMyTipFile(ctx: AppContext, employee: EmployeePrincipal, caseNumber: string, fileId: string) {
  const { db } = ctx.database;
  return withTipKey(db, employee, caseNumber, async (tip, key) => {
    const file = (await listReportAttachments(db, tip.id, key)).find((f) => f.id === fileId);
    if (!file) return null;
    return { name: file.meta.name, type: file.meta.type, size: file.meta.size, stream: streamAttachment(db, file.id, file.meta.fileKey) };
  });
}

/**
 * Attaches the staged files of an upload batch to one of the employee's tips, with an optional
 * note as the message they hang off; audited like a reporter's files (actor 'reporter', no id).
 */
export async function addFilesToMyTip(ctx: AppContext, employee: EmployeePrincipal, caseNumber: string, files: readonly StagedFile[], note: string): Promise<boolean> {
  const done = await ctx.database.db.transaction().execute((trx) =>
    withTipKey(trx, employee, caseNumber, async (tip, key) => {
      const messageId = note ? await appendMessage(trx, { reportId: tip.id, authorKind: 'reporter', body: note }, key) : null;
      const count = await attachStagedFiles(trx, tip.id, key, files, messageId);
      await touchReporterActivity(trx, tip.id, count);
      await appendAudit(trx, { actorKind: 'reporter', event: 'report.reporter_file_added', caseId: tip.id, details: { count } });
      return true;
    }),
  );
  return done === true;
}
