import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';
import { reporterDay } from '../reporter-time.js';

/**
 * Queries of the messages of a report's thread. Functions take a database handle or a transaction;
 * the caller owns the transaction.
 */

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
