import type { Executor } from '../db/executor.js';
import { bytes } from './row-bytes.js';

/**
 * Queries of attachments: staged uploads, their encrypted chunks, and files of a report. Functions
 * take a database handle or a transaction; the caller owns the transaction.
 */

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
