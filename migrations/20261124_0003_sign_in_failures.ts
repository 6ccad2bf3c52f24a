import { sql, type Kysely } from 'kysely';

// Failed sign-ins are tallied here per account (or "no such account"), hour and reason, and
// summarised into one audit row per account and hour by housekeeping, so that strangers typing
// wrong passwords cannot grow the audit log one row per attempt. principal_id is a staff or
// employee id (no foreign key: it names either), null for attempts on accounts that do not exist.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table sign_in_failures (
      principal_kind text not null check (principal_kind in ('staff', 'employee')),
      principal_id uuid,
      window_start timestamptz not null,
      reason text not null check (reason in ('unknown_account', 'inactive', 'password')),
      failures integer not null check (failures > 0),
      constraint sign_in_failures_unique unique nulls not distinct (principal_kind, principal_id, window_start, reason)
    )`.execute(db);
  await sql`create index sign_in_failures_window_idx on sign_in_failures (window_start)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists sign_in_failures`.execute(db);
}
