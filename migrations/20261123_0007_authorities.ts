import { sql, type Kysely } from 'kysely';

// Receiving bodies (a state security bureau, a provincial 12339 desk) that have given the operator
// a public key: referrals to them can be exported as bundles sealed to that key. Names and public
// keys are not secret.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table authorities (
      id uuid primary key default gen_random_uuid(),
      name text not null unique check (length(name) between 1 and 200),
      public_key bytea not null check (length(public_key) = 32),
      created_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists authorities`.execute(db);
}
