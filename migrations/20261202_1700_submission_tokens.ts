import { sql, type Kysely } from 'kysely';

// One-time submission tokens of the public report form. The form carries a random token through
// its edit and review steps; the send stores the token's SHA-256 in the same transaction as the
// report, so a second confirmation of the same review (Back, then "confirm resubmission") files
// nothing. Only the hash and the day are kept: nothing here names or points at a report.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table used_submission_tokens (
      token_hash bytea primary key,
      used_on date not null default current_date
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists used_submission_tokens`.execute(db);
}
