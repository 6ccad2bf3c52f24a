import { sql, type Insertable } from 'kysely';
import type { KeyKind, ReportKeyGrantsTable, ReportsTable, ConsentLevel } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import { keyHolders } from '../accounts/key-holders.js';
import { reporterDay } from '../reporter-time.js';

/**
 * Every query of the shared report core. Functions take a Kysely instance or a transaction; the
 * caller decides what runs in one transaction (a submission is a single one).
 */
const bytes = (value: Uint8Array): Uint8Array => new Uint8Array(value);

// ---------------------------------------------------------------- reports

/**
 * Inserts a report under a case number from `nextCaseNumber`, drawing again when the number is
 * already taken (case numbers are 40 random bits, so at a million reports about one insert in a
 * million meets one). Returns the number used. A clash must never cost a reporter their report.
 */
export async function insertReport(trx: Executor, row: Omit<Insertable<ReportsTable>, 'case_number'>, nextCaseNumber: () => string): Promise<string> {
  for (let draw = 0; draw < 8; draw++) {
    const caseNumber = nextCaseNumber();
    const inserted = await trx
      .insertInto('reports')
      .values({ ...row, case_number: caseNumber })
      .onConflict((oc) => oc.column('case_number').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return caseNumber;
  }
  throw new Error('insertReport: no free case number after 8 draws');
}

/** The report a receipt's lookup hash points at (follow-up login). */
export async function findReportByLookupHash(db: Executor, lookupHash: Uint8Array) {
  const row = await db
    .selectFrom('reports')
    .select(['id', 'reporter_public_key', 'reporter_wrapped_private_key'])
    .where('receipt_lookup_hash', '=', lookupHash)
    .executeTakeFirst();
  if (!row?.reporter_wrapped_private_key) return null;
  return { id: row.id, publicKey: bytes(row.reporter_public_key), wrappedPrivateKey: bytes(row.reporter_wrapped_private_key) };
}

/** What the reporter's own status page needs; no staff-only columns. */
export async function findReportForReporter(db: Executor, reportId: string) {
  return db
    .selectFrom('reports')
    .select([
      'id', 'case_number', 'channel', 'status', 'outcome', 'created_at', 'consent_level', 'identity_present',
      'identity_sealed', 'reward_eligible', 'reward_note_sealed', 'reporter_public_key', 'attachment_count',
    ])
    .where('id', '=', reportId)
    .executeTakeFirst();
}

export async function updateIdentity(
  trx: Executor,
  reportId: string,
  change: { consentLevel: ConsentLevel; identitySealed: Uint8Array },
): Promise<void> {
  await trx
    .updateTable('reports')
    .set({ consent_level: change.consentLevel, identity_present: true, identity_sealed: change.identitySealed })
    .where('id', '=', reportId)
    .execute();
}

/** The reporter did something: reviewers see it in the queue (and the feedback clock matters again). */
/** Reporter activity, to the day only (../reporter-time.ts); updated_at stays the staff's clock. */
export async function touchReporterActivity(trx: Executor, reportId: string, addedAttachments = 0): Promise<void> {
  await trx
    .updateTable('reports')
    .set((eb) => ({
      last_reporter_activity_at: reporterDay(),
      attachment_count: eb('attachment_count', '+', addedAttachments),
    }))
    .where('id', '=', reportId)
    .execute();
}

// ---------------------------------------------------------------- key grants

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

// ---------------------------------------------------------------- blind indexes and links

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

// ---------------------------------------------------------------- messages

export async function insertMessage(
  trx: Executor,
  row: { id: string; reportId: string; authorKind: 'reporter' | 'staff' | 'system'; authorId: string | null; systemCode: string | null; bodySealed: Uint8Array | null },
): Promise<void> {
  await trx
    .insertInto('messages')
    .values({
      id: row.id,
      report_id: row.reportId,
      author_kind: row.authorKind,
      author_id: row.authorId,
      system_code: row.systemCode,
      body_sealed: row.bodySealed,
      // clock_timestamp, not now(): several messages written in one transaction keep their order.
      created_at: sql<Date>`clock_timestamp()`,
    })
    .execute();
}

export async function listMessageRows(db: Executor, reportId: string) {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('report_id', '=', reportId)
    .orderBy('seq')
    .execute();
}

/** Marks everything not written by the reporter as read by the reporter. */
/** Marks the thread read by the reporter, recording the day only (../reporter-time.ts). */
export async function markReadByReporter(db: Executor, reportId: string, now = new Date()): Promise<void> {
  await db
    .updateTable('messages')
    .set({ read_by_reporter_at: reporterDay(now) })
    .where('report_id', '=', reportId)
    .where('author_kind', '<>', 'reporter')
    .where('read_by_reporter_at', 'is', null)
    .execute();
}

// ---------------------------------------------------------------- attachments

export async function insertStagedAttachment(db: Executor, id: string, uploadedBy: 'reporter' | 'staff', expiresAt: Date): Promise<void> {
  // meta_sealed stays empty until the file has been fully received and its digest is known.
  await db
    .insertInto('attachments')
    .values({ id, report_id: null, uploaded_by: uploadedBy, meta_sealed: new Uint8Array(0), staging_expires_at: expiresAt })
    .execute();
}

export async function insertChunk(db: Executor, attachmentId: string, seq: number, data: Uint8Array): Promise<void> {
  await db.insertInto('attachment_chunks').values({ attachment_id: attachmentId, seq, data }).execute();
}

export async function completeAttachment(db: Executor, id: string, metaSealed: Uint8Array, chunkCount: number): Promise<void> {
  await db.updateTable('attachments').set({ meta_sealed: metaSealed, chunk_count: chunkCount, complete: true }).where('id', '=', id).execute();
}

export async function deleteAttachment(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('attachments').where('id', '=', id).execute();
}

/** Complete, unexpired staged files among `ids` (anything else is ignored, never attached). */
export async function findStagedAttachments(db: Executor, ids: readonly string[], now = new Date()) {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('attachments')
    .select(['id', 'meta_sealed', 'chunk_count'])
    .where('id', 'in', [...ids])
    .where('report_id', 'is', null)
    .where('complete', '=', true)
    .where('staging_expires_at', '>', now)
    .execute();
  return rows.map((r) => ({ id: r.id, metaSealed: bytes(r.meta_sealed), chunkCount: r.chunk_count }));
}

export async function attachToReport(
  trx: Executor,
  attachmentId: string,
  change: { reportId: string; metaSealed: Uint8Array; messageId: string | null },
): Promise<boolean> {
  const result = await trx
    .updateTable('attachments')
    .set({ report_id: change.reportId, meta_sealed: change.metaSealed, message_id: change.messageId, staging_expires_at: null })
    .where('id', '=', attachmentId)
    .where('report_id', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function listReportAttachmentRows(db: Executor, reportId: string) {
  const rows = await db
    .selectFrom('attachments')
    .select(['id', 'meta_sealed', 'message_id', 'uploaded_by', 'created_at', 'chunk_count'])
    .where('report_id', '=', reportId)
    .where('complete', '=', true)
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({ ...r, meta_sealed: bytes(r.meta_sealed) }));
}

export async function findAttachment(db: Executor, attachmentId: string) {
  return db.selectFrom('attachments').select(['id', 'report_id', 'complete', 'chunk_count']).where('id', '=', attachmentId).executeTakeFirst();
}

/**
 * One page of ciphertext chunks in order, so a download never holds the whole file. The driver's
 * bytes are handed on as they are (pg's Buffer is a Uint8Array): copying each 64 KiB chunk only
 * added garbage that stays resident until V8 collects it (~20 MB per 100 MiB streamed).
 */
export async function chunkPage(db: Executor, attachmentId: string, fromSeq: number, limit: number) {
  const rows = await db
    .selectFrom('attachment_chunks')
    .select(['seq', 'data'])
    .where('attachment_id', '=', attachmentId)
    .where('seq', '>=', fromSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ seq: r.seq, data: r.data }));
}

/** Staged files past their expiry (abandoned forms, interrupted uploads); chunks go with them (cascade). */
export async function deleteExpiredStaged(db: Executor, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('attachments').where('report_id', 'is', null).where('staging_expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
