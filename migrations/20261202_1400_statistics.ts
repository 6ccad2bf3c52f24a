import { sql, type Kysely } from 'kysely';

// Statistics.
// 1. A read-only `analyst` role: management sees aggregates and the monthly report, never a case,
//    a queue or a key. The role check is widened; analysts never appear in key-holder queries,
//    which select role = 'reviewer' only.
// 2. reports.first_feedback_at: when a reviewer first wrote to the reporter. The message rows
//    already carry that time in clear; a column spares the statistics page a join over messages.
// 3. A covering index on created_at holding every column the statistics read, so a date range is
//    answered by an index-only range scan, never a scan of the table with its sealed payloads.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table staff drop constraint if exists staff_role_check`.execute(db);
  await sql`alter table staff add constraint staff_role_check check (role in ('admin', 'reviewer', 'analyst'))`.execute(db);
  await sql`alter table reports add column if not exists first_feedback_at timestamptz`.execute(db);
  await sql`
    update reports r set first_feedback_at = m.first_at
    from (select report_id, min(created_at) as first_at from messages where author_kind = 'staff' group by report_id) m
    where m.report_id = r.id and r.first_feedback_at is null`.execute(db);
  await sql`
    create index if not exists reports_stats_idx on reports (created_at)
    include (channel, province, severity, status, outcome, categories, acknowledged_at, triage_due_at, first_feedback_at, referral_status)`.execute(db);
  await sql`create index if not exists reports_open_age_idx on reports (created_at) where status <> 'closed'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists reports_open_age_idx`.execute(db);
  await sql`drop index if exists reports_stats_idx`.execute(db);
  await sql`alter table reports drop column if exists first_feedback_at`.execute(db);
  // Audit rows and sessions refer to the accounts: keep them, as deactivated admins (who hold no key).
  await sql`update staff set role = 'admin', status = 'deactivated', deactivated_at = coalesce(deactivated_at, now()) where role = 'analyst'`.execute(db);
  await sql`alter table staff drop constraint if exists staff_role_check`.execute(db);
  await sql`alter table staff add constraint staff_role_check check (role in ('admin', 'reviewer'))`.execute(db);
}
