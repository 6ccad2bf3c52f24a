import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { AppContext } from '../context.js';
import type { DB, ReferralChannel } from '../db/schema.js';
import { CLAIM_SCHEME, openJson, sealJson, toHex } from '../crypto/index.js';
import { findReferralOutcomes, findRewardClaims } from '../rewards/repository.js';
import { rewardIdentityContext, type RewardIdentity } from '../rewards/reporter.js';
import { NotFoundError } from '../errors.js';
import { listReportAttachments } from '../reports/attachments.js';
import { openReportKey } from '../reports/keys.js';
import type { IdentityRecord } from '../reports/model.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { auditCase, CaseActionRefused, openCase, withCase, type OpenCase } from '../cases/access.js';
import { hasIdentityAccessRecord, updateCase } from '../cases/repository.js';
import { moveStatus } from '../cases/triage.js';
import { appendMessage } from '../reports/messages.js';
import { findIdentitySealed } from '../custody/repository.js';
import { findReferral, insertReferral, insertReferralUpdate, listReferralRows, listUpdateRows, markReferralApproved, type ReferralRow } from './repository.js';
import type { ReferralForm } from './schema.js';
import { readSettings } from '../settings/service.js';
import type { Executor } from '../db/executor.js';
import { recordAlertEvent } from '../alerts/events.js';

/**
 * Referral to the authorities as a record (DESIGN §6). Channel, time, status and whether identity
 * went are plain (the queue and the reporter's status need them); the authority's reference, the
 * desk, the summary sent and the list of files are sealed under KN, which reporters never hold.
 * Identity may go only when the reporter consented to sharing it with the authorities.
 */

/** What is sealed in `referrals.details_sealed`. */
export type ReferralDetails = {
  reference: string;
  desk: string;
  summary: string;
  attachments: { id: string; name: string; type: string; size: number; sha256: string }[];
};

export type CaseReferral = {
  id: string;
  channel: ReferralChannel;
  referredAt: Date;
  identityShared: boolean;
  status: 'pending_approval' | 'referred';
  createdById: string;
  createdBy: string;
  approvedBy: string | null;
  details: ReferralDetails | null;
  updates: { id: string; body: string | null; by: string; at: Date }[];
};

const detailsContext = (reportId: string, referralId: string) => `${reportId}/${referralId}`;
const updateContext = (reportId: string, referralId: string, updateId: string) => `${reportId}/${referralId}/update/${updateId}`;

function openDetails(notesKey: Uint8Array | null, row: ReferralRow): ReferralDetails | null {
  return notesKey ? openJson<ReferralDetails>(notesKey, 'referral', detailsContext(row.report_id, row.id), row.details_sealed) : null;
}

/** Referrals of one case with their updates, opened with the viewer's KN (details null without it). */
export async function listCaseReferrals(db: Executor, reportId: string, notesKey: Uint8Array | null): Promise<CaseReferral[]> {
  const rows = await listReferralRows(db, reportId);
  const updates = await listUpdateRows(db, rows.map((r) => r.id));
  return rows.map((r) => ({
    id: r.id,
    channel: r.channel,
    referredAt: r.referred_at,
    identityShared: r.identity_shared,
    status: r.status,
    createdById: r.created_by,
    createdBy: r.creator_name,
    approvedBy: r.approver_name,
    details: openDetails(notesKey, r),
    updates: updates
      .filter((u) => u.referral_id === r.id)
      .map((u) => ({
        id: u.id,
        by: u.username,
        at: u.created_at,
        body: notesKey ? openJson<{ body: string }>(notesKey, 'referral', updateContext(reportId, r.id, u.id), u.body_sealed).body : null,
      })),
  }));
}

/** What the new-referral form shows: the case, its files to choose from, whether identity may go. */
export async function referralFormContext(ctx: AppContext, staff: StaffPrincipal, caseNumber: string) {
  const db = ctx.database.db;
  const c = await openCase(db, caseNumber, staff);
  try {
    const files = await listReportAttachments(db, c.row.id, c.reportKey);
    return {
      caseNumber: c.row.case_number,
      status: c.row.status,
      immediateDanger: c.row.immediate_danger,
      identityPresent: c.row.identity_present,
      identityAllowed: c.row.identity_present && c.row.consent_level === 'share_with_authorities',
      requiresApproval: (await readSettings(ctx))['referrals.requireSecondApproval'],
      attachments: files.map((f) => ({ id: f.id, name: f.meta.name, type: f.meta.type, size: f.meta.size })),
    };
  } finally {
    c.reportKey.fill(0);
  }
}

async function notesKeyOrRefuse(trx: Executor, c: OpenCase, form: string, field: string): Promise<Uint8Array> {
  const key = await openReportKey(trx, c.row.id, 'notes', c.actor);
  if (!key) throw new CaseActionRefused(form, field, 'cases.errors.noNotesKey');
  return key;
}

/** Records a referral; `pending` when the four-eyes rule makes it wait for a second reviewer. */
export async function createReferral(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, form: ReferralForm): Promise<{ id: string; pending: boolean }> {
  return withCase(ctx, staff, caseNumber, async (trx, c) => {
    if (c.row.status === 'closed') throw new CaseActionRefused('referral', 'channel', 'referral.errors.closed');
    // The reporter's consent is the only thing that lets identity leave the organisation (seed 004 art. 23).
    if (form.identityShared && !(c.row.identity_present && c.row.consent_level === 'share_with_authorities')) {
      throw new CaseActionRefused('referral', 'identityShared', 'referral.errors.noConsent');
    }
    const files = await listReportAttachments(trx, c.row.id, c.reportKey);
    const chosen = files.filter((f) => form.attachments.includes(f.id));
    if (chosen.length !== new Set(form.attachments).size) throw new CaseActionRefused('referral', 'attachments', 'referral.errors.attachment');
    const id = randomUUID();
    const details: ReferralDetails = {
      reference: form.reference,
      desk: form.desk,
      summary: form.summary,
      attachments: chosen.map((f) => ({ id: f.id, name: f.meta.name, type: f.meta.type, size: f.meta.size, sha256: f.meta.sha256 })),
    };
    const notesKey = await notesKeyOrRefuse(trx, c, 'referral', 'summary');
    const detailsSealed = sealJson(notesKey, 'referral', detailsContext(c.row.id, id), details);
    notesKey.fill(0);
    const pending = (await readSettings(ctx, trx))['referrals.requireSecondApproval'];
    await insertReferral(trx, { id, reportId: c.row.id, channel: form.channel, referredAt: form.referredAt, identityShared: form.identityShared, status: pending ? 'pending_approval' : 'referred', detailsSealed, createdBy: staff.id });
    if (pending) await updateCase(trx, c.row.id, { referral_status: 'pending_approval', referral_pending_since: c.row.referral_pending_since ?? new Date() });
    if (pending) await recordAlertEvent(trx, { type: 'referral.awaiting_approval', reportId: c.row.id, requestedBy: staff.id });
    else await putOnRecord(ctx, trx, c);
    await auditCase(trx, staff, c, 'referral.created', { channel: form.channel, identityShared: form.identityShared, attachments: chosen.length, pendingApproval: pending }, id);
    return { id, pending };
  });
}

/** The referral counts: the case moves to 'referred' and the reporter reads "referred to the competent authority". */
async function putOnRecord(ctx: AppContext, trx: Transaction<DB>, c: OpenCase): Promise<void> {
  // Recording or approving a referral ends the wait for a decision (the referral-decision clock).
  await moveStatus(ctx, trx, c, 'referred', { notify: 'referred', extra: { referral_status: 'referred', referral_pending_since: null } });
}

/** Four-eyes approval by a reviewer other than the one who recorded the referral. */
export async function approveReferral(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, referralId: string): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    const referral = await findReferral(trx, c.row.id, referralId);
    if (!referral) throw new NotFoundError();
    if (referral.status !== 'pending_approval') throw new CaseActionRefused(`approve-${referralId}`, 'approve', 'referral.errors.notPending');
    if (referral.created_by === staff.id) throw new CaseActionRefused(`approve-${referralId}`, 'approve', 'referral.errors.ownReferral');
    if (c.row.status === 'closed') throw new CaseActionRefused(`approve-${referralId}`, 'approve', 'referral.errors.closed');
    (await notesKeyOrRefuse(trx, c, `approve-${referralId}`, 'approve')).fill(0); // the approver must be able to read what they approve
    await markReferralApproved(trx, referralId, staff.id);
    await putOnRecord(ctx, trx, c);
    await auditCase(trx, staff, c, 'referral.approved', { channel: referral.channel }, referralId);
  });
}

export async function addReferralUpdate(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, referralId: string, body: string): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    const referral = await findReferral(trx, c.row.id, referralId);
    if (!referral) throw new NotFoundError();
    const notesKey = await notesKeyOrRefuse(trx, c, `update-${referralId}`, 'body');
    const id = randomUUID();
    const bodySealed = sealJson(notesKey, 'referral', updateContext(c.row.id, referralId, id), { body });
    notesKey.fill(0);
    await insertReferralUpdate(trx, { id, referralId, bodySealed, createdBy: staff.id });
    await updateCase(trx, c.row.id, { referral_status: 'updated' });
    await auditCase(trx, staff, c, 'referral.updated', {}, referralId);
  });
}

/**
 * The printable sheet. Needs KN (the details). Identity appears only when it went with the
 * referral AND the viewer holds KI; showing it is an identity view like any other (audited, and
 * the reporter told the first time this staff member sees it).
 */
export async function loadReferralSheet(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, referralId: string) {
  return withCase(ctx, staff, caseNumber, async (trx, c) => {
    const referral = await findReferral(trx, c.row.id, referralId);
    const notesKey = referral ? await openReportKey(trx, c.row.id, 'notes', c.actor) : null;
    if (!referral || !notesKey) throw new NotFoundError();
    const details = openDetails(notesKey, referral)!;
    notesKey.fill(0);
    const identity = referral.identity_shared ? await identityForSheet(trx, c, staff) : null;
    const reward = await rewardForSheet(trx, c, staff, referral.id);
    return {
      id: referral.id,
      caseNumber: c.row.case_number,
      categories: c.row.categories,
      severity: c.row.severity,
      channel: referral.channel,
      referredAt: referral.referred_at,
      status: referral.status,
      createdBy: referral.creator_name,
      approvedBy: referral.approver_name,
      identityShared: referral.identity_shared,
      identity,
      details,
      reward,
      printedAt: new Date(),
    };
  });
}

/**
 * The reward part of the referral record: the commitment to the reporter's claim code (never the
 * code, docs/crypto.md §4.10), the outcome, and the identity the reporter revealed for the reward
 * when the viewer holds KI (an identity view like any other: audited).
 */
async function rewardForSheet(trx: Transaction<DB>, c: OpenCase, staff: StaffPrincipal, referralId: string) {
  const claims = await findRewardClaims(trx, c.row.id);
  const outcome = (await findReferralOutcomes(trx, c.row.id)).find((o) => o.referralId === referralId) ?? null;
  let identity: RewardIdentity | null = null;
  if (claims.identity) {
    const key = await openReportKey(trx, c.row.id, 'identity', c.actor);
    if (key) {
      identity = openJson<RewardIdentity>(key, 'identity', rewardIdentityContext(c.row.id), claims.identity.sealed);
      key.fill(0);
      await auditCase(trx, staff, c, 'identity.viewed', { custodian: staff.isCustodian, via: 'reward_claim' });
    }
  }
  return {
    eligible: c.row.reward_eligible,
    claim: claims.code
      ? { scheme: CLAIM_SCHEME, salt: toHex(claims.code.salt), commitment: toHex(claims.code.commitment), createdAt: claims.code.createdAt.toISOString() }
      : null,
    identityGiven: claims.identity !== null,
    identity,
    outcome: outcome ? { outcome: outcome.outcome, on: outcome.on } : null,
  };
}

async function identityForSheet(trx: Transaction<DB>, c: OpenCase, staff: StaffPrincipal): Promise<IdentityRecord | null> {
  const key = await openReportKey(trx, c.row.id, 'identity', c.actor);
  const sealed = key ? await findIdentitySealed(trx, c.row.id) : null;
  if (!key || !sealed) return null;
  const identity = openJson<IdentityRecord>(key, 'identity', c.row.id, sealed);
  key.fill(0);
  if (!(await hasIdentityAccessRecord(trx, c.row.id, staff.id))) {
    await appendMessage(trx, { reportId: c.row.id, authorKind: 'system', systemCode: 'identity_accessed' }, c.reportKey);
  }
  await auditCase(trx, staff, c, 'identity.viewed', { custodian: staff.isCustodian, via: 'referral_sheet' });
  return identity;
}
