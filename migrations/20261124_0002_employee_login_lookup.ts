import { sql, type Kysely } from 'kysely';

// Employee login lookups move from HMAC(blind-index key, "employee-login:" + phone) (version 1:
// one HMAC per guess names every employee to whoever holds the database and the secrets file) to
// argon2id(phone, secret installation salt) (version 2: one argon2id per guess). A migration cannot
// run argon2id without the phone numbers, so existing rows stay version 1 and each is replaced at
// that employee's next successful sign-in (server/core/employees/lookup.ts); new rows are version 2.
// The column has no default: every insert must say which kind of lookup it stores.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table employees add column login_lookup_version smallint not null default 1`.execute(db);
  await sql`alter table employees alter column login_lookup_version drop default`.execute(db);
  await sql`alter table employees add constraint employees_login_lookup_version_check check (login_lookup_version in (1, 2))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Version-2 rows cannot be turned back into HMAC lookups without the phone numbers: going down
  // leaves those accounts unable to sign in until the migration is applied again.
  await sql`alter table employees drop constraint if exists employees_login_lookup_version_check`.execute(db);
  await sql`alter table employees drop column if exists login_lookup_version`.execute(db);
}
