/**
 * The shared report core: turning a validated tip into a sealed report. Used by the public form
 * (server/intake) and the employee form (server/employees). Validation happens at the edge, in
 * each form's schema; this module trusts its input's shape and only seals and writes.
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { AppContext } from '../context.js';
import type { DB } from '../db/schema.js';
import type { Severity } from './lifecycle.js';
import { appendAudit } from '../audit/repository.js';
import {
  blindIndex,
  generateBoxKeyPair,
  generateReceipt,
  randomBytes,
  toCrockford,
  sealJson,
  wrapKey,
  type BoxKeyPair,
} from '../crypto/index.js';
import { readInstallation } from '../installation/repository.js';
import { PAYLOAD_VERSION, type IdentityRecord, type ParcelDetails, type ProvinceCode, type ReportPayload } from './model.js';
import { grantReportKeys, newReportKeys } from './keys.js';
import { appendMessage } from './messages.js';
import { attachStagedFiles, type StagedFile } from './attachments.js';
import { findReportsByDigests, insertBlindIndexes, linkReports, lockDigests } from './link-repository.js';
import { hasActiveReviewer } from './grant-repository.js';
import { insertReport } from './report-repository.js';
import { slaPolicy, type SlaPolicy } from '../queue/sla.js';
import { payloadBinding } from './payload-binding.js';
import { readSettings } from '../settings/service.js';
import type { Executor } from '../db/executor.js';
import { recordAlertEvent } from '../alerts/events.js';

export type ReporterKind =
  /** Public channel: a receipt is generated and the reporter's key pair is wrapped with its KEK. */
  | { kind: 'anonymous' }
  /**
   * Employee channel: a key pair and tag derived from the employee's tip secret
   * (server/core/employees/tip-index.ts); nothing here names the account.
   */
  | { kind: 'employee'; publicKey: Uint8Array; tipTag: Uint8Array };

export type SubmitReportInput = {
  reporter: ReporterKind;
  categories: string[];
  description: string;
  immediateDanger: boolean;
  parcel: ParcelDetails;
  /** Plaintext triage metadata (DESIGN §3). */
  province: ProvinceCode | null;
  /** Null for an anonymous report; otherwise sealed under KI and `consent` mirrored in consent_level. */
  identity: IdentityRecord | null;
  /** Staged uploads, already opened with the form's staging key; re-sealed under K here. */
  attachments: readonly StagedFile[];
};

export type SubmittedReport = {
  reportId: string;
  caseNumber: string;
  /** The 16-digit receipt for the public channel (show once, never store); null for employees. */
  receipt: string | null;
};

/**
 * Seals and stores a report in ONE transaction: the reports row, key grants, blind indexes and
 * automatic links, the attached files, the automatic acknowledgement and the audit event — all or
 * nothing, so a crash mid-way leaves no half-written report.
 *
 * Cost: exactly one argon2id derivation (receipt → lookup hash ‖ KEK) for the public channel and
 * none for employees; everything else is sealed boxes and AEAD, which are cheap. The derivation runs
 * before the transaction opens, so no database connection waits on argon2id.
 * Pass `trx` to make the submission part of a larger transaction (null/undefined = its own).
 */
export async function submitReport(ctx: AppContext, trx: Transaction<DB> | null | undefined, input: SubmitReportInput): Promise<SubmittedReport> {
  const installation = await readInstallation(trx ?? ctx.database.db, ctx.config.secrets.receiptPepper);
  if (!installation.escrowPublicKey && !(await hasActiveReviewer(trx ?? ctx.database.db))) throw new NoRecipientsError();
  const reporter = await prepareReporter(ctx, input.reporter, installation);
  const write = (t: Transaction<DB>) => writeReport(ctx, t, input, reporter, installation.escrowPublicKey);
  const result = trx ? await write(trx) : await ctx.database.db.transaction().execute(write);
  return { ...result, receipt: reporter.receipt };
}

/**
 * Nobody could ever read the report: no active reviewer to seal it to and no escrow key to recover
 * it with. Refused before anything is derived or stored, so the reporter keeps their text and is
 * told, rather than getting a receipt for a tip sealed to no one.
 */
export class NoRecipientsError extends Error {
  constructor() {
    super('no active reviewer and no escrow key: the report could not be read by anyone');
  }
}

type PreparedReporter = {
  publicKey: Uint8Array;
  receipt: string | null;
  receiptLookupHash: Uint8Array | null;
  wrappedPrivateKey: Uint8Array | null;
  employeeTipTag: Uint8Array | null;
};

async function prepareReporter(
  ctx: AppContext,
  reporter: ReporterKind,
  installation: { receiptDerivationSalt: Uint8Array; receiptKdfCost: string },
): Promise<PreparedReporter> {
  if (reporter.kind === 'employee') {
    return { publicKey: reporter.publicKey, receipt: null, receiptLookupHash: null, wrappedPrivateKey: null, employeeTipTag: reporter.tipTag };
  }
  const receipt = generateReceipt();
  const keys = await ctx.kdf.deriveReceiptKeys(receipt, installation.receiptDerivationSalt, installation.receiptKdfCost);
  const pair: BoxKeyPair = generateBoxKeyPair();
  const wrappedPrivateKey = wrapKey(pair.privateKey, keys.kek);
  pair.privateKey.fill(0);
  keys.kek.fill(0);
  return { publicKey: pair.publicKey, receipt, receiptLookupHash: keys.lookupHash, wrappedPrivateKey, employeeTipTag: null };
}

async function writeReport(
  ctx: AppContext,
  trx: Transaction<DB>,
  input: SubmitReportInput,
  reporter: PreparedReporter,
  escrowPublicKey: Uint8Array | null,
): Promise<Omit<SubmittedReport, 'receipt'>> {
  const reportId = randomUUID();
  const channel = input.reporter.kind === 'employee' ? 'employee' : 'public';
  // Set here rather than by the database, so that the payload can be bound to it to the millisecond.
  const createdAt = new Date();
  const keys = newReportKeys(input.identity !== null);
  const payload: ReportPayload = {
    version: PAYLOAD_VERSION,
    categories: input.categories,
    description: input.description,
    immediateDanger: input.immediateDanger,
    parcel: input.parcel,
    attachments: input.attachments.map((a) => ({ id: a.id })),
  };
  const caseNumber = await insertReport(trx, {
    id: reportId,
    channel,
    severity: severityOf(input),
    categories: input.categories,
    province: input.province,
    immediate_danger: input.immediateDanger,
    attachment_count: input.attachments.length,
    identity_present: input.identity !== null,
    consent_level: input.identity?.consent ?? 'none',
    created_at: createdAt,
    payload_sealed: sealJson(keys.report, 'payload', reportId, payload, payloadBinding({ channel, created_at: createdAt })),
    identity_sealed: input.identity && keys.identity ? sealJson(keys.identity, 'identity', reportId, input.identity) : null,
    reporter_public_key: reporter.publicKey,
    receipt_lookup_hash: reporter.receiptLookupHash,
    reporter_wrapped_private_key: reporter.wrappedPrivateKey,
    employee_tip_tag: reporter.employeeTipTag,
    ...slaDates(slaPolicy(await readSettings(ctx, trx)), input.immediateDanger),
  }, newCaseNumber);
  await grantReportKeys(trx, reportId, keys, { reporterPublicKey: reporter.publicKey, escrowPublicKey });
  await attachStagedFiles(trx, reportId, keys.report, input.attachments);
  await indexAndLink(ctx, trx, reportId, input.parcel);
  await appendMessage(trx, { reportId, authorKind: 'system', systemCode: 'ack' }, keys.report);
  // actor_kind 'reporter' with no id on both channels: the audit log must not become a second,
  // plaintext record of who reported what.
  await appendAudit(trx, {
    actorKind: 'reporter',
    event: 'report.submitted',
    caseId: reportId,
    details: { channel, categories: input.categories.length },
  });
  // In the same transaction: the alert exists exactly when the report does (content-free).
  await recordAlertEvent(trx, { type: 'report.received', reportId });
  keys.report.fill(0);
  keys.notes.fill(0);
  keys.identity?.fill(0);
  return { reportId, caseNumber };
}

function severityOf(input: SubmitReportInput): Severity {
  return input.immediateDanger ? 'critical' : 'normal';
}

function slaDates(policy: SlaPolicy, immediateDanger: boolean): { triage_due_at: Date; feedback_due_at: Date } {
  const now = Date.now();
  const { criticalTriageMinutes, ackHours, feedbackDays } = policy;
  const triageMs = immediateDanger ? criticalTriageMinutes * 60_000 : ackHours * 3_600_000;
  return { triage_due_at: new Date(now + triageMs), feedback_due_at: new Date(now + feedbackDays * 86_400_000) };
}

/** The blind-indexed values of a report: every waybill number, and the sender's and recipient's phones. */
export function blindIndexesOf(indexKey: Uint8Array, parcel: ParcelDetails): { kind: 'waybill' | 'phone'; digest: Uint8Array }[] {
  const entries: { kind: 'waybill' | 'phone'; digest: Uint8Array }[] = [];
  const add = (kind: 'waybill' | 'phone', value: string | undefined) => {
    const digest = value ? blindIndex(indexKey, kind, value) : null;
    if (digest && !entries.some((e) => e.kind === kind && Buffer.from(e.digest).equals(digest))) entries.push({ kind, digest });
  };
  for (const waybill of parcel.waybillNumbers) add('waybill', waybill);
  add('phone', parcel.sender?.phone);
  add('phone', parcel.recipient?.phone);
  return entries;
}

/** Stores the blind indexes and links this report to every earlier report sharing one (waybill first). */
async function indexAndLink(ctx: AppContext, trx: Executor, reportId: string, parcel: ParcelDetails): Promise<void> {
  const entries = blindIndexesOf(ctx.config.secrets.blindIndexKey, parcel);
  if (entries.length === 0) return;
  await lockDigests(trx, entries);
  const matches = await findReportsByDigests(trx, reportId, entries);
  await insertBlindIndexes(trx, reportId, entries);
  const ordered = [...matches.filter((m) => m.kind === 'waybill'), ...matches.filter((m) => m.kind === 'phone')];
  for (const match of ordered) await linkReports(trx, reportId, match.report_id, match.kind);
}

/**
 * A case number such as `PG-7K3M-9QXD`: 40 random bits rather than a counter, so case numbers
 * reveal neither how many reports exist nor the order they came in. Crockford base32 has no I, L,
 * O or U to misread.
 */
export function newCaseNumber(): string {
  const text = toCrockford(randomBytes(5));
  return `PG-${text.slice(0, 4)}-${text.slice(4)}`;
}
