import { sql, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Executor } from '../db/executor.js';

/**
 * The staff who may receive report, notes and identity keys: active, enrolled reviewers whose
 * public key has been approved (docs/crypto.md, "Insiders"). This is the only definition: every
 * place that seals a key to staff — intake, identity sealing, custody hand-over, case-team grants —
 * starts from this query, so an account an admin made and enrolled receives nothing until a
 * custodian has compared its fingerprint with the person.
 */
export function keyHolders(db: Executor) {
  return db
    .selectFrom('staff')
    .where('staff.role', '=', 'reviewer')
    .where('staff.status', '=', 'active')
    .where('staff.public_key', 'is not', null)
    .where('staff.key_approved_at', 'is not', null);
}

/** Enrolled reviewers still waiting for a custodian's approval, oldest first. */
export async function listAwaitingApproval(db: Executor) {
  return db
    .selectFrom('staff')
    .select(['id', 'username', 'is_custodian', 'updated_at'])
    .where('role', '=', 'reviewer')
    .where('status', '=', 'active')
    .where('public_key', 'is not', null)
    .where('key_approved_at', 'is', null)
    .orderBy('updated_at')
    .execute();
}

/** Every key holder with who approved them, newest first. */
export async function listKeyHolders(db: Executor) {
  return keyHolders(db)
    .leftJoin('staff as approver', 'approver.id', 'staff.key_approved_by')
    .select(['staff.id', 'staff.username', 'staff.is_custodian', 'staff.key_approval', 'staff.key_holder_since', 'approver.username as approved_by'])
    .orderBy('staff.key_holder_since', 'desc')
    .orderBy(sql`lower(staff.username)`)
    .execute();
}

/** Locks a reviewer's row for an approval decision. */
export async function lockReviewerForApproval(trx: Transaction<DB>, id: string) {
  return trx
    .selectFrom('staff')
    .select(['id', 'username', 'role', 'status', 'public_key', 'key_approved_at'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

/** True when this account is itself a key holder and a custodian: only such an account may approve. */
export async function isApprovedCustodian(db: Executor, id: string): Promise<boolean> {
  const row = await keyHolders(db).select('id').where('id', '=', id).where('is_custodian', '=', true).executeTakeFirst();
  return row !== undefined;
}

export async function markKeyApproved(db: Executor, id: string, approvedBy: string, now: Date): Promise<void> {
  await db
    .updateTable('staff')
    .set({ key_approval: 'custodian', key_approved_by: approvedBy, key_approved_at: now, key_holder_since: now, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** Moves the point up to which this person has seen the list of key holders. */
export async function markKeyHoldersSeen(db: Executor, id: string, now: Date): Promise<void> {
  await db.updateTable('staff').set({ key_holders_seen_at: now }).where('id', '=', id).execute();
}

export async function findKeyHolderState(db: Executor, id: string) {
  return db
    .selectFrom('staff')
    .select(['id', 'role', 'public_key', 'key_approval', 'key_approved_at', 'key_holder_since', 'key_holders_seen_at', 'created_at'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Approvals the upgrade made that are not yet in the audit log. */
export async function listUnauditedApprovals(trx: Transaction<DB>) {
  return trx.selectFrom('staff').select(['id', 'key_approval']).where('key_approval_audited', '=', false).orderBy('created_at').forUpdate().execute();
}

export async function markApprovalAudited(trx: Transaction<DB>, id: string): Promise<void> {
  await trx.updateTable('staff').set({ key_approval_audited: true }).where('id', '=', id).execute();
}
