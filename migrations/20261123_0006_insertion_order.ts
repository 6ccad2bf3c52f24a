import { sql, type Kysely } from 'kysely';

// Rows written in one transaction share `now()`, and a random uuid cannot break the tie, so a
// thread could come back out of order. An identity column records insertion order; lists of
// messages, notes and attachments sort by it.

const TABLES = ['messages', 'notes', 'attachments'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await sql`alter table ${sql.table(table)} add column seq bigint generated always as identity`.execute(db);
    await sql`create index ${sql.id(`${table}_report_seq_idx`)} on ${sql.table(table)} (report_id, seq)`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [...TABLES].reverse()) {
    await sql`drop index if exists ${sql.id(`${table}_report_seq_idx`)}`.execute(db);
    await sql`alter table ${sql.table(table)} drop column if exists seq`.execute(db);
  }
}
