import type { Kysely } from 'kysely';
import type { DB, KeyApproval } from '../db/schema.js';
import { constantTimeEqual, keyFingerprint, normaliseFingerprint, utf8 } from '../crypto/index.js';
import { appendAudit } from '../audit/repository.js';
import type { StaffPrincipal } from './auth.js';
import type { StaffDeps } from './service.js';
import {
  findKeyHolderState,
  isApprovedCustodian,
  listAwaitingApproval,
  listKeyHolders,
  listUnauditedApprovals,
  lockReviewerForApproval,
  markApprovalAudited,
  markKeyApproved,
  markKeyHoldersSeen,
} from './key-holders.js';

/**
 * Key-holder approval (docs/crypto.md, "Insiders"). Whoever creates an account in the workspace
 * sees its enrolment link, so enrolling is not proof of being the intended person. A reviewer
 * therefore receives no key until a custodian — never the account itself, never an admin — has
 * typed in the fingerprint the new person reads out to them in person or on a call. Every key
 * holder then sees the newcomer as unseen on the key-holder page until they acknowledge it.
 */

export type KeyStatus = { readonly fingerprint: string; readonly approval: KeyApproval | null; readonly keyHolder: boolean };

/** The signed-in person's own fingerprint and whether they hold keys yet (reviewers only). */
export async function ownKeyStatus(deps: Pick<StaffDeps, 'db'>, principal: StaffPrincipal): Promise<KeyStatus | null> {
  if (principal.role !== 'reviewer') return null;
  const row = await findKeyHolderState(deps.db, principal.id);
  return { fingerprint: keyFingerprint(principal.publicKey), approval: row?.key_approval ?? null, keyHolder: Boolean(row?.key_holder_since) };
}

export type KeyHolderEntry = {
  readonly id: string;
  readonly username: string;
  readonly isCustodian: boolean;
  readonly approval: KeyApproval | null;
  readonly approvedBy: string | null;
  readonly since: Date | null;
  readonly unseen: boolean;
};
export type AwaitingEntry = { readonly id: string; readonly username: string; readonly isCustodian: boolean; readonly enrolledAt: Date };
export type KeyHolderOverview = { readonly holders: KeyHolderEntry[]; readonly awaiting: AwaitingEntry[]; readonly unseen: number };

/**
 * Who holds keys, who waits for approval, and which key holders this viewer has not yet seen:
 * those who became key holders after the viewer last acknowledged the list (or, for someone who
 * never did, after they themselves became a key holder or were created).
 */
export async function keyHolderOverview(deps: Pick<StaffDeps, 'db'>, viewerId: string): Promise<KeyHolderOverview> {
  const [viewer, rows, awaiting] = await Promise.all([findKeyHolderState(deps.db, viewerId), listKeyHolders(deps.db), listAwaitingApproval(deps.db)]);
  const seenUpTo = viewer?.key_holders_seen_at ?? viewer?.key_holder_since ?? viewer?.created_at ?? null;
  const seenTime = seenUpTo ? seenUpTo.getTime() : Number.POSITIVE_INFINITY;
  const holders = rows.map((r): KeyHolderEntry => {
    const since = r.key_holder_since;
    return {
      id: r.id,
      username: r.username,
      isCustodian: r.is_custodian,
      approval: r.key_approval,
      approvedBy: r.approved_by,
      since,
      unseen: r.id !== viewerId && since !== null && since.getTime() > seenTime,
    };
  });
  return {
    holders,
    awaiting: awaiting.map((a) => ({ id: a.id, username: a.username, isCustodian: a.is_custodian, enrolledAt: a.updated_at })),
    unseen: holders.filter((h) => h.unseen).length,
  };
}

export async function acknowledgeKeyHolders(deps: Pick<StaffDeps, 'db'>, viewerId: string, now = new Date()): Promise<void> {
  await markKeyHoldersSeen(deps.db, viewerId, now);
}

export type ApprovalOutcome = 'approved' | 'self' | 'notCustodian' | 'notAwaiting' | 'mismatch' | 'malformed';

/**
 * A custodian approves a reviewer's key after comparing fingerprints. The typed fingerprint must
 * match the one computed from the stored public key: the custodian never sees it on screen, so
 * the comparison with what the new person reads out cannot be skipped. A mismatch is audited: it
 * can mean the link was used by someone else.
 */
export async function approveKeyHolder(deps: Pick<StaffDeps, 'db'>, approver: StaffPrincipal, targetId: string, typed: string, now = new Date()): Promise<ApprovalOutcome> {
  if (approver.id === targetId) return 'self';
  const digits = normaliseFingerprint(typed);
  if (!digits) return 'malformed';
  return deps.db.transaction().execute(async (trx) => {
    // Re-checked in the transaction: a custodian deactivated a moment ago approves nobody.
    if (!(await isApprovedCustodian(trx, approver.id))) return 'notCustodian';
    const target = await lockReviewerForApproval(trx, targetId);
    if (!target || target.role !== 'reviewer' || target.status !== 'active' || !target.public_key || target.key_approved_at) return 'notAwaiting';
    const expected = keyFingerprint(new Uint8Array(target.public_key)).replace(/ /g, '');
    if (!constantTimeEqual(utf8(expected), utf8(digits))) {
      await appendAudit(trx, { actorKind: 'staff', actorId: approver.id, event: 'keyholder.fingerprint_mismatch', subjectId: target.id });
      return 'mismatch';
    }
    await markKeyApproved(trx, target.id, approver.id, now);
    await appendAudit(trx, { actorKind: 'staff', actorId: approver.id, event: 'keyholder.approved', subjectId: target.id, details: { source: 'custodian' } });
    return 'approved';
  });
}

/**
 * Writes the audit rows for approvals the upgrade to key-holder approval made (the migration
 * cannot append to the hash chain itself). Runs after migrations; does nothing once recorded.
 */
export async function recordMigratedApprovals(db: Kysely<DB>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await listUnauditedApprovals(trx);
    for (const row of rows) {
      await appendAudit(trx, { actorKind: 'system', event: 'keyholder.approved', subjectId: row.id, details: { source: row.key_approval ?? 'migration' } });
      await markApprovalAudited(trx, row.id);
    }
    return rows.length;
  });
}
