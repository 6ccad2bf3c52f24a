import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { deleteExpiredStaged } from '../reports/attachment-repository.js';

/**
 * Deletes staged attachments whose form was never sent (or whose upload was cut off) once their
 * staging period is over; their ciphertext chunks go with them. Safe to run from any number of
 * instances at once: it is one idempotent DELETE. Returns how many files were removed.
 */
export async function purgeExpiredStagedAttachments(db: Kysely<DB>, now = new Date()): Promise<number> {
  return deleteExpiredStaged(db, now);
}
