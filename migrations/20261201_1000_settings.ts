import { sql, type Kysely } from 'kysely';

// Settings an administrator changes in the staff workspace (organisation name, deadlines, the
// four-eyes rule, …). A row exists only for a setting that was changed; every other setting takes
// its default from the environment. Values are plain configuration, never sealed content.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table settings (
      key text primary key check (key ~ '^[a-z][a-zA-Z0-9]*(\\.[a-z][a-zA-Z0-9]*)+$'),
      value jsonb not null,
      updated_at timestamptz not null default now(),
      updated_by uuid
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists settings`.execute(db);
}
