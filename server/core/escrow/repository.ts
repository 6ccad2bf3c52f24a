import type { Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Executor } from '../db/executor.js';

/** Locks the installation row so two operators running escrow:init at once cannot both succeed. */
export async function lockEscrowPublicKey(trx: Transaction<DB>): Promise<Uint8Array | null> {
  const row = await trx.selectFrom('installation').select('escrow_public_key').where('id', '=', 1).forUpdate().executeTakeFirstOrThrow();
  return row.escrow_public_key ? new Uint8Array(row.escrow_public_key) : null;
}

export async function readEscrowPublicKey(db: Executor): Promise<Uint8Array | null> {
  const row = await db.selectFrom('installation').select('escrow_public_key').where('id', '=', 1).executeTakeFirst();
  return row?.escrow_public_key ? new Uint8Array(row.escrow_public_key) : null;
}

export async function storeEscrowPublicKey(trx: Transaction<DB>, publicKey: Uint8Array, now: Date): Promise<void> {
  await trx
    .updateTable('installation')
    .set({ escrow_public_key: publicKey, escrow_created_at: now })
    .where('id', '=', 1)
    .where('escrow_public_key', 'is', null)
    .execute();
}

export async function findSealedReportByCaseNumber(db: Executor, caseNumber: string) {
  return db.selectFrom('reports').select(['id', 'case_number', 'channel', 'created_at', 'payload_sealed']).where('case_number', '=', caseNumber).executeTakeFirst();
}

/** The report key K as sealed to the escrow key (never KI: identities stay with custodians). */
export async function findEscrowReportGrant(db: Executor, reportId: string): Promise<Uint8Array | null> {
  const row = await db
    .selectFrom('report_key_grants')
    .select('sealed_key')
    .where('report_id', '=', reportId)
    .where('recipient_kind', '=', 'escrow')
    .where('key_kind', '=', 'report')
    .executeTakeFirst();
  return row ? new Uint8Array(row.sealed_key) : null;
}
