import { sql, type Kysely } from 'kysely';

// Statistics filtered by province, channel or category, at millions of reports.
// 1. Identity-access requests carry their report's channel, province and category set, kept equal
//    by triggers (copied on insert, followed when a reviewer reclassifies the report). A filtered
//    count of requests made in a date range then reads the date index alone; joined to reports it
//    made one random read of the reports table per request (~0.9 s at ten million reports). The
//    copies are the same plaintext triage metadata `reports` holds in clear.
// 2. A covering index on (province, created_at) beside reports_stats_idx: a filter on a province
//    reads that province's share of the range instead of the whole range (the exact timing scan,
//    the backlog's cut days, the case-credit join).

const FOLLOWED = sql`channel, province, categories`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table identity_requests
      add column if not exists channel text,
      add column if not exists province text,
      add column if not exists categories text[]`.execute(db);
  await sql`
    update identity_requests i set channel = r.channel, province = r.province, categories = r.categories
    from reports r where r.id = i.report_id`.execute(db);
  await sql`alter table identity_requests alter column channel set not null, alter column categories set not null`.execute(db);
  await sql`
    create or replace function identity_requests_copy_report() returns trigger language plpgsql as $$
    begin
      select r.channel, r.province, r.categories into new.channel, new.province, new.categories from reports r where r.id = new.report_id;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger identity_requests_report_dims before insert or update of report_id on identity_requests
    for each row execute function identity_requests_copy_report()`.execute(db);
  await sql`
    create or replace function reports_dims_to_identity_requests() returns trigger language plpgsql as $$
    begin
      update identity_requests set channel = new.channel, province = new.province, categories = new.categories where report_id = new.id;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger reports_dims_to_identity_requests after update of ${FOLLOWED} on reports
    for each row when (old.channel is distinct from new.channel or old.province is distinct from new.province or old.categories is distinct from new.categories)
    execute function reports_dims_to_identity_requests()`.execute(db);
  await sql`drop index if exists identity_requests_created_idx`.execute(db);
  await sql`create index if not exists identity_requests_stats_idx on identity_requests (created_at) include (status, ${FOLLOWED})`.execute(db);
  await sql`
    create index if not exists reports_stats_province_idx on reports (province, created_at)
    include (channel, severity, status, outcome, categories, acknowledged_at, triage_due_at, first_feedback_at, referral_status)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists reports_stats_province_idx`.execute(db);
  await sql`drop index if exists identity_requests_stats_idx`.execute(db);
  await sql`create index if not exists identity_requests_created_idx on identity_requests (created_at) include (status, report_id)`.execute(db);
  await sql`drop trigger if exists reports_dims_to_identity_requests on reports`.execute(db);
  await sql`drop function if exists reports_dims_to_identity_requests()`.execute(db);
  await sql`drop trigger if exists identity_requests_report_dims on identity_requests`.execute(db);
  await sql`drop function if exists identity_requests_copy_report()`.execute(db);
  await sql`alter table identity_requests drop column if exists channel, drop column if exists province, drop column if exists categories`.execute(db);
}
