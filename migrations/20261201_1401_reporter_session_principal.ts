import { sql, type Kysely } from 'kysely';

// A reporter session no longer names its report in clear: principal_id holds the report id wrapped
// under the cookie's secret half (server/core/sessions/store.ts), which is not a uuid. Live reporter
// sessions hold the report id in clear, so they end here (reporters sign in again with the receipt).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`delete from sessions where kind = 'reporter'`.execute(db);
  await sql`alter table sessions alter column principal_id type text using principal_id::text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from sessions where kind = 'reporter'`.execute(db);
  await sql`alter table sessions alter column principal_id type uuid using principal_id::uuid`.execute(db);
}
