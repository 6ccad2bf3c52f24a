import { sql, type Kysely } from 'kysely';

// The audit chain becomes keyed (chain version 2, an HMAC with a key from the secrets file). Rows
// written before keep version 1 and still verify; the column says which formula a row uses, and
// the formula of version 2 covers the version itself. Adding a column fires no row trigger, so the
// append-only guard stays in place throughout.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_log add column chain_version smallint not null default 1`.execute(db);
  await sql`alter table audit_log alter column chain_version drop default`.execute(db);
  await sql`alter table audit_log add constraint audit_log_chain_version check (chain_version in (1, 2))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_log drop constraint if exists audit_log_chain_version`.execute(db);
  await sql`alter table audit_log drop column if exists chain_version`.execute(db);
}
