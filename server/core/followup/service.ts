/**
 * What an anonymous reporter can do with their receipt: sign in, read the status and the thread,
 * answer, add files and raise their consent. Every action opens the report key K (or KI) with the
 * reporter's private key, which exists only unwrapped inside their session; the server alone
 * cannot act for them.
 */
import type { AppContext } from '../context.js';
import type { ConsentLevel } from '../db/schema.js';
import type { ReportStatus, ReportOutcome as CaseOutcome } from '../reports/lifecycle.js';
import { appendAudit } from '../audit/repository.js';
import { CryptoError, normaliseReceipt, openJson, sealJson, unwrapKey } from '../crypto/index.js';
import { limitsOf, takeRateLimit, takeSharedBudget, type RateLimitRule, type SharedBudget } from '../rate-limit.js';
import type { ClientSource } from '../client-source.js';
import { readInstallation } from '../installation/repository.js';
import { createSession, type OpenSession } from '../sessions/store.js';
import { createIdentityKey, openReportKey, type KeyPrincipal } from '../reports/keys.js';
import { appendMessage, listMessages, openRewardNote, type ThreadMessage } from '../reports/messages.js';
import { attachStagedFiles, listReportAttachments, type ReportAttachment } from '../reports/attachments.js';
import { isConsentUpgrade, type IdentityRecord } from '../reports/model.js';
import { findReportByLookupHash, findReportForReporter, touchReporterActivity, updateIdentity } from '../reports/report-repository.js';
import { markReadByReporter } from '../reports/message-repository.js';
import type { UploadBatch } from '../intake/uploads.js';
import { identityFrom } from '../intake/schema.js';
import type { ConsentForm } from './schema.js';
import { caseRetention } from '../retention/hold.js';
import { recordAlertEvent } from '../alerts/events.js';
import { listClockFacts, nextReporterFeedbackAt } from '../alerts/deadlines.js';
import { rewardClaimStatus } from '../rewards/reporter.js';

/** Receipt sign-ins per client (IPv4 address or IPv6 /64). */
export const LOGIN_LIMIT: RateLimitRule = { bucket: 'followup-login', limit: 10, windowSeconds: 900 };
/**
 * Receipt-shaped sign-ins from everyone together, counted before argon2id: bounds the guessing
 * rate of a distributed attacker (and the CPU they can burn) whatever addresses they use. Up to
 * 3,000 an hour anyone gets in; from there up to 6,000 only networks (IPv4 /24, IPv6 /48) that
 * have used fewer than 30 this hour, so one network flooding the form is refused first and cannot
 * lock every reporter out; 6,000 an hour is the cap on any number of networks together. Honest
 * reporters never meet these numbers; reaching the first is itself a signal worth alerting on.
 */
export const LOGIN_GLOBAL_BUDGET: SharedBudget = {
  bucket: 'followup-login-global',
  windowSeconds: 3600,
  soft: 3000,
  hard: 6000,
  share: { bucket: 'followup-login-network', limit: 30, windowSeconds: 3600 },
};
/** Replies, files and consent changes per client. */
export const ACTION_LIMIT: RateLimitRule = { bucket: 'followup-action', limit: 60, windowSeconds: 3600 };

export type LoginResult = { kind: 'ok'; cookie: string } | { kind: 'invalid' } | { kind: 'throttled'; retryAfterSeconds: number };

/**
 * One argon2id derivation per receipt-shaped attempt, after both rate limits. Unknown receipts,
 * malformed ones and wrong ones get the same answer, so the form reveals nothing about which
 * receipts exist.
 */
export async function loginWithReceipt(ctx: AppContext, typed: string, source: ClientSource): Promise<LoginResult> {
  const db = ctx.database.db;
  const local = await takeRateLimit(limitsOf(ctx), LOGIN_LIMIT, source.address);
  if (!local.allowed) return { kind: 'throttled', retryAfterSeconds: local.retryAfterSeconds };
  const receipt = normaliseReceipt(typed);
  if (receipt === null) return { kind: 'invalid' };
  const global = await takeSharedBudget(limitsOf(ctx), LOGIN_GLOBAL_BUDGET, source.network);
  if (!global.allowed) return { kind: 'throttled', retryAfterSeconds: global.retryAfterSeconds };

  const installation = await readInstallation(db, ctx.config.secrets.receiptPepper);
  const keys = await ctx.kdf.deriveReceiptKeys(receipt, installation.receiptDerivationSalt, installation.receiptKdfCost);
  const report = await findReportByLookupHash(db, keys.lookupHash);
  if (!report) return { kind: 'invalid' };
  let privateKey: Uint8Array;
  try {
    privateKey = unwrapKey(report.wrappedPrivateKey, keys.kek);
  } catch (err) {
    if (err instanceof CryptoError) return { kind: 'invalid' };
    throw err;
  } finally {
    keys.kek.fill(0);
  }
  const cookie = await createSession(db, 'reporter', report.id, privateKey);
  privateKey.fill(0);
  return { kind: 'ok', cookie };
}

export type TimelineStep = { key: string; state: 'done' | 'current' | 'upcoming' };

export type ReporterCase = {
  caseNumber: string;
  createdAt: Date;
  status: ReportStatus;
  outcome: CaseOutcome | null;
  timeline: TimelineStep[];
  consentLevel: ConsentLevel;
  identityPresent: boolean;
  reward: { note: string | null; codeCreatedAt: Date | null; identityGivenAt: Date | null } | null;
  protectionRequestedAt: Date | null;
  messages: ThreadMessage[];
  attachments: ReportAttachment[];
  /** Once closed: when the report will be shredded, or `held` while a legal hold stands (no reason given). */
  retention: { deletesOn: Date | null; held: boolean } | null;
  /** When the reporter will hear from us next (deadline engine), if that is still ahead; null otherwise. */
  nextFeedbackAt: Date | null;
};

type Reporter = { reportId: string; principal: KeyPrincipal & { kind: 'reporter' }; reportKey: Uint8Array };

/** Opens the session's report and its key K; null when the report or the grant is gone. */
export async function openReporter(ctx: AppContext, session: OpenSession) {
  if (!session.privateKey) return null;
  const report = await findReportForReporter(ctx.database.db, session.principalId);
  if (!report) return null;
  const principal = { kind: 'reporter' as const, publicKey: new Uint8Array(report.reporter_public_key), privateKey: session.privateKey };
  const reportKey = await openReportKey(ctx.database.db, report.id, 'report', principal);
  if (!reportKey) return null;
  return { report, reporter: { reportId: report.id, principal, reportKey } satisfies Reporter };
}

/** The status page: timeline, reward notice and thread. Marks the reviewers' messages as read. */
export async function reporterCase(ctx: AppContext, session: OpenSession): Promise<ReporterCase | null> {
  const opened = await openReporter(ctx, session);
  if (!opened) return null;
  const { report, reporter } = opened;
  const db = ctx.database.db;
  const messages = await listMessages(db, report.id, reporter.reportKey);
  const attachments = await listReportAttachments(db, report.id, reporter.reportKey);
  await markReadByReporter(db, report.id);
  const [clockFacts] = await listClockFacts(db, report.id);
  const promised = clockFacts ? nextReporterFeedbackAt(clockFacts, new Date()) : null;
  const rewardNote = report.reward_note_sealed ? openRewardNote(reporter.reportKey, report.id, new Uint8Array(report.reward_note_sealed)) : null;
  const retention = report.status === 'closed' ? await caseRetention(ctx, report.id) : null;
  return {
    caseNumber: report.case_number,
    createdAt: report.created_at,
    status: report.status,
    outcome: report.outcome,
    timeline: timelineOf(report.status, report.outcome),
    consentLevel: report.consent_level,
    identityPresent: report.identity_present,
    reward: report.reward_eligible ? { note: rewardNote, ...(await rewardClaimStatus(db, report.id)) } : null,
    protectionRequestedAt: report.protection_requested_at,
    messages,
    attachments,
    retention: retention ? { deletesOn: retention.deletesOn, held: retention.hold !== null } : null,
    nextFeedbackAt: promised && promised.getTime() > Date.now() ? promised : null,
  };
}

const STEP_OF: Record<ReportStatus, number> = { new: 0, acknowledged: 0, in_review: 1, awaiting_reporter: 2, referred: 3, closed: 4 };

/**
 * Status in plain words. "More information needed" and "referred" appear only once reached, so
 * the timeline never promises a referral that may not happen.
 */
export function timelineOf(status: ReportStatus, outcome: CaseOutcome | null): TimelineStep[] {
  const current = STEP_OF[status];
  const referred = status === 'referred' || outcome === 'referred_to_authority';
  const steps: { key: string; index: number }[] = [
    { key: 'received', index: 0 },
    { key: 'in_review', index: 1 },
    ...(status === 'awaiting_reporter' ? [{ key: 'awaiting_reporter', index: 2 }] : []),
    ...(referred ? [{ key: 'referred', index: 3 }] : []),
    { key: 'closed', index: 4 },
  ];
  return steps.map(({ key, index }) => ({
    key,
    state: index === current ? 'current' : index < current || (key === 'referred' && status === 'closed') ? 'done' : 'upcoming',
  }));
}

export async function allowAction(ctx: AppContext, source: ClientSource): Promise<boolean> {
  return (await takeRateLimit(limitsOf(ctx), ACTION_LIMIT, source.address)).allowed;
}

/** A reply from the reporter, sealed under K. Returns false when the session no longer opens the report. */
export async function sendReply(ctx: AppContext, session: OpenSession, body: string): Promise<boolean> {
  const opened = await openReporter(ctx, session);
  if (!opened) return false;
  const { reportId, reportKey } = opened.reporter;
  await ctx.database.db.transaction().execute(async (trx) => {
    await appendMessage(trx, { reportId, authorKind: 'reporter', body }, reportKey);
    await touchReporterActivity(trx, reportId);
    await appendAudit(trx, { actorKind: 'reporter', event: 'report.reporter_message', caseId: reportId });
    await recordAlertEvent(trx, { type: 'reporter.replied', reportId });
  });
  return true;
}

/** Attaches the batch's staged files (and an optional note as a message they hang off). */
export async function addFiles(ctx: AppContext, session: OpenSession, batch: UploadBatch, note: string): Promise<boolean> {
  const opened = await openReporter(ctx, session);
  if (!opened) return false;
  const { reportId, reportKey } = opened.reporter;
  await ctx.database.db.transaction().execute(async (trx) => {
    const messageId = note ? await appendMessage(trx, { reportId, authorKind: 'reporter', body: note }, reportKey) : null;
    const count = await attachStagedFiles(trx, reportId, reportKey, batch.files, messageId);
    await touchReporterActivity(trx, reportId, count);
    await appendAudit(trx, { actorKind: 'reporter', event: 'report.reporter_file_added', caseId: reportId, details: { count } });
  });
  return true;
}

export type ConsentResult = { kind: 'changed' } | { kind: 'refused'; messageKey: string; field: string } | { kind: 'gone' };

/**
 * Consent only moves up: none → confidential → share_with_authorities. Once identity has been
 * given, a lower level is refused with an explanation rather than applied, because custodians (or,
 * with sharing consent, the authorities) may already have seen it; the reporter is told to write
 * to the reviewers instead. Adding identity later creates KI and grants it to custodians.
 */
export async function changeConsent(ctx: AppContext, session: OpenSession, form: ConsentForm): Promise<ConsentResult> {
  const opened = await openReporter(ctx, session);
  if (!opened) return { kind: 'gone' };
  const { report, reporter } = opened;
  const from = report.consent_level;
  if (!isConsentUpgrade(from, form.consent)) {
    const messageKey = form.consent === from ? 'followup.consent.unchanged' : 'followup.consent.downgradeRefused';
    return { kind: 'refused', messageKey, field: 'consent' };
  }
  const identity = from === 'none' ? identityFrom({ ...form, identity_choice: form.consent }) : await currentIdentity(ctx, reporter, report.identity_sealed);
  if (!identity) return { kind: 'refused', messageKey: 'intake.errors.identity_name_required', field: 'identity_name' };
  await ctx.database.db.transaction().execute(async (trx) => {
    const identityKey = from === 'none' ? await createIdentityKey(trx, reporter.reportId, reporter.principal.publicKey) : await openReportKey(trx, reporter.reportId, 'identity', reporter.principal);
    if (!identityKey) throw new Error('reporter holds no identity key');
    const record: IdentityRecord = { ...identity, consent: form.consent };
    await updateIdentity(trx, reporter.reportId, { consentLevel: form.consent, identitySealed: sealJson(identityKey, 'identity', reporter.reportId, record) });
    await touchReporterActivity(trx, reporter.reportId);
    await appendAudit(trx, { actorKind: 'reporter', event: 'report.consent_changed', caseId: reporter.reportId, details: { from, to: form.consent } });
    identityKey.fill(0);
  });
  return { kind: 'changed' };
}

async function currentIdentity(ctx: AppContext, reporter: Reporter, sealed: Uint8Array | null): Promise<IdentityRecord | null> {
  const identityKey = await openReportKey(ctx.database.db, reporter.reportId, 'identity', reporter.principal);
  if (!identityKey || !sealed) return null;
  return openJson<IdentityRecord>(identityKey, 'identity', reporter.reportId, new Uint8Array(sealed));
}
