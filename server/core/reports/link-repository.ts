import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';

/**
 * Blind indexes of waybill and phone numbers and the links they make between reports. Functions
 * take a database handle or a transaction; the caller owns the transaction.
 */

export async function insertBlindIndexes(trx: Executor, reportId: string, entries: { kind: 'waybill' | 'phone'; digest: Uint8Array }[]) {
  if (entries.length === 0) return;
  await trx
    .insertInto('report_blind_indexes')
    .values(entries.map((e) => ({ report_id: reportId, kind: e.kind, digest: e.digest })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Other reports sharing any of these digests, with the kind that matched. */
export async function findReportsByDigests(trx: Executor, reportId: string, entries: { kind: 'waybill' | 'phone'; digest: Uint8Array }[]) {
  if (entries.length === 0) return [];
  return trx
    .selectFrom('report_blind_indexes')
    .select(['report_id', 'kind'])
    .where('report_id', '<>', reportId)
    .where((eb) => eb.or(entries.map((e) => eb.and([eb('kind', '=', e.kind), eb('digest', '=', e.digest)]))))
    .execute();
}

// Class id of the per-digest advisory locks ("PGLK"); the two-int lock space never meets the
// single-bigint keys used for the audit chain and maintenance.
const LINK_LOCK_CLASS = 0x50474c4b;

/**
 * Serialises reports that share a blind index. Without it, two reports naming the same waybill
 * committed at the same moment would each look for the other before either was visible and
 * neither would be linked. Locks are taken in digest order (no deadlock between two reports
 * sharing several) and held until the transaction ends; a waiting report then sees the first one.
 */
export async function lockDigests(trx: Executor, entries: { digest: Uint8Array }[]): Promise<void> {
  const keys = [...new Set(entries.map((e) => Buffer.from(e.digest).readInt32BE(0)))].sort((a, b) => a - b);
  for (const key of keys) await sql`select pg_advisory_xact_lock(${LINK_LOCK_CLASS}::int, ${key}::int)`.execute(trx);
}

/** Inserts the link (a < b) and bumps link_count on both reports, unless the pair is already linked. */
export async function linkReports(trx: Executor, one: string, other: string, reason: 'waybill' | 'phone'): Promise<boolean> {
  const [a, b] = one < other ? [one, other] : [other, one];
  const result = await trx
    .insertInto('report_links')
    .values({ report_a: a, report_b: b, reason })
    .onConflict((oc) => oc.columns(['report_a', 'report_b']).doNothing())
    .executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) return false;
  await trx
    .updateTable('reports')
    .set((eb) => ({ link_count: eb('link_count', '+', 1) }))
    .where('id', 'in', [a, b])
    .execute();
  return true;
}
