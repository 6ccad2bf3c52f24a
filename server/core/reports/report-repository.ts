import type { Insertable } from 'kysely';
import type { ReportsTable, ConsentLevel } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import { bytes } from './row-bytes.js';
import { reporterDay } from '../reporter-time.js';

/**
 * Queries of the `reports` table: intake, the reporter's lookup and their activity. Functions take
 * a database handle or a transaction; the caller owns the transaction.
 */

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
      'identity_sealed', 'reward_eligible', 'reward_note_sealed', 'reporter_public_key', 'attachment_count', 'protection_requested_at',
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
