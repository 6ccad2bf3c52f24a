import type { Transaction } from 'kysely';
import type { AppContext } from '../context.js';
import type { DB, KeyKind } from '../db/schema.js';
import { grantKeyTo } from '../reports/keys.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { auditCase, CaseActionRefused, withCase, type OpenCase } from './access.js';
import { countOtherHolders, deleteStaffGrants, findActiveReviewer, holdsGrant, updateCase } from './repository.js';

/**
 * Who works on a case. Access is a key, not a flag: assigning or sharing re-seals K and KN to the
 * other reviewer from the acting reviewer's unlocked session (the server cannot do it alone);
 * revoking deletes that reviewer's grants. KI (identity) is never passed on here: only a custodian
 * can, by approving a request (server/custody).
 */

type Trx = Transaction<DB>;

async function reviewerOrRefuse(trx: Trx, form: string, staffId: string) {
  const target = await findActiveReviewer(trx, staffId);
  if (!target) throw new CaseActionRefused(form, 'staffId', 'cases.errors.noSuchReviewer');
  return target;
}

/** Seals K and KN (those the actor holds) to `target`; returns how many grants were written. */
async function sealCaseKeysTo(trx: Trx, c: OpenCase, target: { id: string; publicKey: Uint8Array }): Promise<number> {
  let written = 0;
  for (const kind of ['report', 'notes'] as KeyKind[]) {
    if (await holdsGrant(trx, c.row.id, kind, target.id)) continue;
    if (await grantKeyTo(trx, c.row.id, kind, target.id, target.publicKey, c.actor)) written++;
  }
  return written;
}

/** Assigns the case (or, with null, unassigns it). The assignee receives the keys they lack. */
export async function assignCase(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, assigneeId: string | null): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    if (assigneeId === null) {
      await updateCase(trx, c.row.id, { assignee_id: null });
      await auditCase(trx, staff, c, 'case.assigned', { unassigned: true });
      return;
    }
    const target = await reviewerOrRefuse(trx, 'assign', assigneeId);
    const granted = await sealCaseKeysTo(trx, c, target);
    await updateCase(trx, c.row.id, { assignee_id: target.id });
    await auditCase(trx, staff, c, 'case.assigned', { grants: granted }, target.id);
  });
}

export async function shareCase(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, staffId: string): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    const target = await reviewerOrRefuse(trx, 'share', staffId);
    if (await holdsGrant(trx, c.row.id, 'report', target.id)) throw new CaseActionRefused('share', 'staffId', 'cases.errors.alreadyShared');
    const granted = await sealCaseKeysTo(trx, c, target);
    await auditCase(trx, staff, c, 'case.shared', { grants: granted }, target.id);
  });
}

/**
 * Takes a reviewer off the case by deleting every grant they hold for it (K, KN and KI). Refused
 * when it would leave no staff member able to open the report, or the identity. Returns whether
 * the actor removed themselves (the case is then gone from their view).
 */
export async function revokeAccess(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, staffId: string): Promise<{ self: boolean }> {
  return withCase(ctx, staff, caseNumber, async (trx, c) => {
    if (!(await holdsGrant(trx, c.row.id, 'report', staffId))) throw new CaseActionRefused('revoke', 'staffId', 'cases.errors.notAHolder');
    if ((await countOtherHolders(trx, c.row.id, 'report', staffId)) === 0) throw new CaseActionRefused('revoke', 'staffId', 'cases.errors.lastHolder');
    const holdsIdentity = await holdsGrant(trx, c.row.id, 'identity', staffId);
    if (holdsIdentity && (await countOtherHolders(trx, c.row.id, 'identity', staffId)) === 0) {
      throw new CaseActionRefused('revoke', 'staffId', 'cases.errors.lastIdentityHolder');
    }
    const removed = await deleteStaffGrants(trx, c.row.id, staffId);
    if (c.row.assignee_id === staffId) await updateCase(trx, c.row.id, { assignee_id: null });
    await auditCase(trx, staff, c, 'case.share_revoked', { grants: removed }, staffId);
    return { self: staffId === staff.id };
  });
}
