import { sql, type Kysely } from 'kysely';

// The argon2id cost used for a derived key is stored beside it ("argon2id:m=65536,t=3,p=1"), so
// raising ARGON2_* later affects only new keys and every existing key can still be unlocked.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table installation add column receipt_kdf_cost text`.execute(db);
  await sql`alter table staff add column kek_cost text`.execute(db);
  await sql`alter table employees add column kek_cost text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table employees drop column if exists kek_cost`.execute(db);
  await sql`alter table staff drop column if exists kek_cost`.execute(db);
  await sql`alter table installation drop column if exists receipt_kdf_cost`.execute(db);
}
