import type { ReferralChannel } from '../db/schema.js';
import type { Executor } from '../db/executor.js';

/** Referrals to the authorities and their follow-up updates. Details are sealed under KN (purpose 'referral'). */
const bytes = (value: Uint8Array): Uint8Array => new Uint8Array(value);

export async function insertReferral(
  trx: Executor,
  row: { id: string; reportId: string; channel: ReferralChannel; referredAt: Date; identityShared: boolean; status: 'pending_approval' | 'referred'; detailsSealed: Uint8Array; createdBy: string },
): Promise<void> {
  await trx
    .insertInto('referrals')
    .values({
      id: row.id,
      report_id: row.reportId,
      channel: row.channel,
      referred_at: row.referredAt,
      identity_shared: row.identityShared,
      status: row.status,
      details_sealed: row.detailsSealed,
      created_by: row.createdBy,
    })
    .execute();
}

export async function listReferralRows(db: Executor, reportId: string) {
  const rows = await db
    .selectFrom('referrals as f')
    .innerJoin('staff as creator', 'creator.id', 'f.created_by')
    .leftJoin('staff as approver', 'approver.id', 'f.approved_by')
    .select([
      'f.id', 'f.report_id', 'f.channel', 'f.referred_at', 'f.identity_shared', 'f.status', 'f.details_sealed', 'f.created_by', 'f.created_at',
      'creator.username as creator_name', 'approver.username as approver_name',
    ])
    .where('f.report_id', '=', reportId)
    .orderBy('f.created_at')
    .orderBy('f.id')
    .execute();
  return rows.map((r) => ({ ...r, details_sealed: bytes(r.details_sealed) }));
}

export type ReferralRow = Awaited<ReturnType<typeof listReferralRows>>[number];

export async function findReferral(db: Executor, reportId: string, referralId: string) {
  const rows = await listReferralRows(db, reportId);
  return rows.find((r) => r.id === referralId) ?? null;
}

export async function markReferralApproved(trx: Executor, referralId: string, approvedBy: string): Promise<boolean> {
  const result = await trx
    .updateTable('referrals')
    .set({ status: 'referred', approved_by: approvedBy })
    .where('id', '=', referralId)
    .where('status', '=', 'pending_approval')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertReferralUpdate(trx: Executor, row: { id: string; referralId: string; bodySealed: Uint8Array; createdBy: string }): Promise<void> {
  await trx
    .insertInto('referral_updates')
    .values({ id: row.id, referral_id: row.referralId, body_sealed: row.bodySealed, created_by: row.createdBy })
    .execute();
}

export async function listUpdateRows(db: Executor, referralIds: readonly string[]) {
  if (referralIds.length === 0) return [];
  const rows = await db
    .selectFrom('referral_updates as u')
    .innerJoin('staff as s', 's.id', 'u.created_by')
    .select(['u.id', 'u.referral_id', 'u.body_sealed', 'u.created_at', 's.username'])
    .where('u.referral_id', 'in', [...referralIds])
    .orderBy('u.created_at')
    .orderBy('u.id')
    .orderBy('u.id')
    .execute();
  return rows.map((r) => ({ ...r, body_sealed: bytes(r.body_sealed) }));
}

// ---------------------------------------------------------------- receiving bodies with a public key

export async function insertAuthority(db: Executor, name: string, publicKey: Uint8Array): Promise<string | null> {
  const row = await db.insertInto('authorities').values({ name, public_key: publicKey }).onConflict((oc) => oc.column('name').doNothing()).returning('id').executeTakeFirst();
  return row?.id ?? null;
}

export async function listAuthorities(db: Executor) {
  const rows = await db.selectFrom('authorities').select(['id', 'name', 'public_key', 'created_at']).orderBy('name').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, publicKey: new Uint8Array(r.public_key), createdAt: r.created_at }));
}

export async function findAuthority(db: Executor, id: string) {
  const row = await db.selectFrom('authorities').select(['id', 'name', 'public_key']).where('id', '=', id).executeTakeFirst();
  return row ? { id: row.id, name: row.name, publicKey: new Uint8Array(row.public_key) } : null;
}
