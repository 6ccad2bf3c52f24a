import type { Insertable } from 'kysely';
import type { KeyKind, ReportKeyGrantsTable } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import { bytes } from './row-bytes.js';
import { keyHolders } from '../accounts/key-holders.js';

/**
 * Queries of sealed report-key grants and of who may receive them (reviewers, escrow). Functions
 * take a database handle or a transaction; the caller owns the transaction.
 */

/** Approved key holders: the staff a new report is sealed to. */
const activeReviewers = keyHolders;

export async function listActiveReviewers(db: Executor) {
  const rows = await activeReviewers(db).select(['id', 'public_key', 'is_custodian']).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, publicKey: bytes(r.public_key!), isCustodian: r.is_custodian }));
}

/** True when at least one enrolled, active reviewer exists (someone a new report can be sealed to). */
export async function hasActiveReviewer(db: Executor): Promise<boolean> {
  return (await activeReviewers(db).select('id').limit(1).executeTakeFirst()) !== undefined;
}

export async function readEscrowPublicKey(db: Executor): Promise<Uint8Array | null> {
  const row = await db.selectFrom('installation').select('escrow_public_key').where('id', '=', 1).executeTakeFirst();
  return row?.escrow_public_key ? bytes(row.escrow_public_key) : null;
}

export async function insertGrants(trx: Executor, grants: Insertable<ReportKeyGrantsTable>[]): Promise<void> {
  if (grants.length === 0) return;
  await trx.insertInto('report_key_grants').values(grants).execute();
}

/** Inserts or replaces one grant (re-sealing after a key holder changed keys is a replace). */
export async function upsertGrant(trx: Executor, grant: Insertable<ReportKeyGrantsTable>): Promise<void> {
  await trx
    .insertInto('report_key_grants')
    .values(grant)
    .onConflict((oc) =>
      oc.columns(['report_id', 'key_kind', 'recipient_kind', 'recipient_id']).doUpdateSet({
        sealed_key: grant.sealed_key,
        granted_by: grant.granted_by ?? null,
        created_at: new Date(),
      }),
    )
    .execute();
}

export async function findGrant(
  db: Executor,
  reportId: string,
  kind: KeyKind,
  recipient: { kind: 'staff'; id: string } | { kind: 'reporter' } | { kind: 'escrow' },
): Promise<Uint8Array | null> {
  let query = db
    .selectFrom('report_key_grants')
    .select('sealed_key')
    .where('report_id', '=', reportId)
    .where('key_kind', '=', kind)
    .where('recipient_kind', '=', recipient.kind);
  query = recipient.kind === 'staff' ? query.where('recipient_id', '=', recipient.id) : query.where('recipient_id', 'is', null);
  const row = await query.executeTakeFirst();
  return row ? bytes(row.sealed_key) : null;
}
