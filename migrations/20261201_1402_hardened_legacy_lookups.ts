import { sql, type Kysely } from 'kysely';

// Version 3 of employees.login_lookup: argon2id over a version-1 HMAC lookup, computed by the
// `employee:harden-lookups` command (it needs the secrets file, which a migration does not have).
// A version-1 row named its employee for one HMAC per guessed phone number; version 3 costs one
// argon2id per guess, like version 2, without needing the phone. Sign-in still replaces it by
// version 2 (server/core/employees/lookup.ts).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table employees drop constraint if exists employees_login_lookup_version_check`.execute(db);
  await sql`alter table employees add constraint employees_login_lookup_version_check check (login_lookup_version in (1, 2, 3))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // A version-3 row cannot be turned back into its HMAC: going down leaves that account unable to
  // sign in until the migration is applied again (as going below 20261124_0002 does for version 2).
  await sql`alter table employees drop constraint if exists employees_login_lookup_version_check`.execute(db);
  await sql`alter table employees add constraint employees_login_lookup_version_check check (login_lookup_version in (1, 2)) not valid`.execute(db);
}
