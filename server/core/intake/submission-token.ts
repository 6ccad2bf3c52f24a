/**
 * One-time submission tokens of the public report form. A fresh form gets a random token, carried
 * as a hidden field through every edit and review; sending stores its SHA-256 in the report's own
 * transaction, so the same review confirmed twice (Back, "confirm resubmission", a double click)
 * files one report. The token is no secret worth stealing: it only lets its holder be told
 * "already sent"; the database keeps the hash and the day, nothing that points at the report.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { hashToken, toBase64Url } from '../crypto/index.js';
import type { DB } from '../db/schema.js';
import type { Executor } from '../db/executor.js';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSubmissionToken(): string {
  return toBase64Url(new Uint8Array(randomBytes(32)));
}

/** The token a form carried back, or null when absent or malformed. */
export function parseSubmissionToken(value: string): string | null {
  return TOKEN_PATTERN.test(value) ? value : null;
}

/** The token to put in a re-rendered form: the one it carried, or a new one. */
export function carriedOrNewToken(value: string): string {
  return parseSubmissionToken(value) ?? newSubmissionToken();
}

/** A cheap check before any work: was this token already spent? */
export async function submissionTokenUsed(db: Executor, token: string): Promise<boolean> {
  const row = await db.selectFrom('used_submission_tokens').select('used_on').where('token_hash', '=', hashToken(token)).executeTakeFirst();
  return row !== undefined;
}

/**
 * Spends the token inside the submission transaction; false when it was already spent. A
 * concurrent transaction holding the same token makes this insert wait for its outcome.
 */
export async function spendSubmissionToken(trx: Transaction<DB>, token: string): Promise<boolean> {
  const inserted = await trx
    .insertInto('used_submission_tokens')
    .values({ token_hash: hashToken(token) })
    .onConflict((oc) => oc.column('token_hash').doNothing())
    .returning(sql<number>`1`.as('one'))
    .executeTakeFirst();
  return inserted !== undefined;
}

export class SubmissionAlreadySent extends Error {
  constructor() {
    super('this report form was already sent');
  }
}
