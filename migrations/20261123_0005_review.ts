import { sql, type Kysely } from 'kysely';

// The reviewer workspace: what the queue needs to stay fast at a million reports.
//
// - Two generated columns turn the queue's sort orders into plain index scans: `next_due_at` (the
//   SLA deadline that matters now: triage while new, reporter feedback while open, none once
//   closed) and `severity_weight` (critical 3 … low 0, so "most severe, then newest" is one
//   descending key and keyset pagination can compare row values).
// - `staff_queue_counts` keeps, per staff member, how many reports they hold a 'report' grant for
//   in each status. Counting them live would join a million grants on every queue load. Triggers
//   keep it exact whoever writes (intake inserts grants, triage changes status, retention deletes
//   reports), and they are statement-level so a bulk insert writes each counter change once.
//
// The triggers never update a counter row: they append signed deltas to
// `staff_queue_count_deltas`, and the queue folds the deltas into the totals now and then
// (server/review/repository.ts). Updating shared counter rows from inside every submission and
// triage transaction would make those transactions wait on each other, and, since they also lock
// report rows and the audit chain in varying order, deadlock; inserts of fresh rows never block.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table reports add column next_due_at timestamptz generated always as (
      case when status = 'closed' then null when status = 'new' then triage_due_at else feedback_due_at end
    ) stored`.execute(db);
  await sql`
    alter table reports add column severity_weight smallint generated always as (
      case severity when 'critical' then 3 when 'high' then 2 when 'normal' then 1 else 0 end
    ) stored`.execute(db);
  await sql`create index reports_due_queue_idx on reports (next_due_at, id) where next_due_at is not null`.execute(db);
  await sql`create index reports_severity_queue_idx on reports (severity_weight desc, created_at desc, id desc)`.execute(db);
  await sql`create index reports_province_queue_idx on reports (province, created_at desc, id desc) where province is not null`.execute(db);
  // Open cases are a small share of a large archive; the queue shows them by default. "Open" is
  // written as `next_due_at is not null` (null exactly when closed) in these predicates and in the
  // queries, so the planner matches one condition rather than two it would think independent.
  await sql`create index reports_open_queue_idx on reports (created_at desc, id desc) where next_due_at is not null`.execute(db);
  await sql`create index reports_open_categories_idx on reports using gin (categories) where next_due_at is not null`.execute(db);
  await sql`create index reports_open_province_idx on reports (province, created_at desc, id desc) where next_due_at is not null`.execute(db);
  await sql`create index reports_open_assignee_idx on reports (assignee_id) where next_due_at is not null and assignee_id is not null`.execute(db);
  await sql`create index reports_linked_queue_idx on reports (created_at desc, id desc) where link_count > 0`.execute(db);
  await sql`create index reports_duplicate_of_idx on reports (duplicate_of) where duplicate_of is not null`.execute(db);

  // One open identity request per reviewer and report; a second click cannot queue a duplicate.
  await sql`create unique index identity_requests_pending_idx on identity_requests (report_id, requester_id) where status = 'pending'`.execute(db);

  await sql`
    create table staff_queue_counts (
      staff_id uuid not null references staff (id) on delete cascade,
      status text not null,
      n integer not null,
      primary key (staff_id, status)
    )`.execute(db);
  await sql`
    create table staff_queue_count_deltas (
      id bigint generated always as identity primary key,
      staff_id uuid not null references staff (id) on delete cascade,
      status text not null,
      delta integer not null
    )`.execute(db);
  await sql`create index staff_queue_count_deltas_staff_idx on staff_queue_count_deltas (staff_id)`.execute(db);

  await sql`
    create function staff_queue_counts_grants_inserted() returns trigger language plpgsql as $$
    begin
      insert into staff_queue_count_deltas (staff_id, status, delta)
        select g.recipient_id, r.status, count(*) from inserted_grants g join reports r on r.id = g.report_id
        where g.key_kind = 'report' and g.recipient_kind = 'staff'
        group by 1, 2;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger staff_queue_counts_on_grant_insert after insert on report_key_grants
    referencing new table as inserted_grants for each statement
    execute function staff_queue_counts_grants_inserted()`.execute(db);

  // A grant deleted together with its report (cascade) finds no report row here; the report's own
  // delete trigger below has already taken it off the counts.
  await sql`
    create function staff_queue_counts_grants_deleted() returns trigger language plpgsql as $$
    begin
      insert into staff_queue_count_deltas (staff_id, status, delta)
        select g.recipient_id, r.status, -count(*) from deleted_grants g join reports r on r.id = g.report_id
        where g.key_kind = 'report' and g.recipient_kind = 'staff'
        group by 1, 2;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger staff_queue_counts_on_grant_delete after delete on report_key_grants
    referencing old table as deleted_grants for each statement
    execute function staff_queue_counts_grants_deleted()`.execute(db);

  await sql`
    create function staff_queue_counts_status_changed() returns trigger language plpgsql as $$
    begin
      insert into staff_queue_count_deltas (staff_id, status, delta)
        select staff_id, status, sum(delta) from (
          select g.recipient_id as staff_id, o.status, -1 as delta
            from old_reports o join new_reports n on n.id = o.id
            join report_key_grants g on g.report_id = o.id and g.key_kind = 'report' and g.recipient_kind = 'staff'
           where o.status <> n.status
          union all
          select g.recipient_id, n.status, 1
            from old_reports o join new_reports n on n.id = o.id
            join report_key_grants g on g.report_id = n.id and g.key_kind = 'report' and g.recipient_kind = 'staff'
           where o.status <> n.status
        ) changes
        group by 1, 2 having sum(delta) <> 0;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger staff_queue_counts_on_status_change after update on reports
    referencing old table as old_reports new table as new_reports for each statement
    execute function staff_queue_counts_status_changed()`.execute(db);

  await sql`
    create function staff_queue_counts_report_deleted() returns trigger language plpgsql as $$
    begin
      insert into staff_queue_count_deltas (staff_id, status, delta)
        select g.recipient_id, old.status, -1 from report_key_grants g
         where g.report_id = old.id and g.key_kind = 'report' and g.recipient_kind = 'staff';
      return old;
    end
    $$`.execute(db);
  await sql`
    create trigger staff_queue_counts_on_report_delete before delete on reports
    for each row execute function staff_queue_counts_report_deleted()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists staff_queue_counts_on_report_delete on reports`.execute(db);
  await sql`drop trigger if exists staff_queue_counts_on_status_change on reports`.execute(db);
  await sql`drop trigger if exists staff_queue_counts_on_grant_delete on report_key_grants`.execute(db);
  await sql`drop trigger if exists staff_queue_counts_on_grant_insert on report_key_grants`.execute(db);
  for (const fn of ['staff_queue_counts_report_deleted', 'staff_queue_counts_status_changed', 'staff_queue_counts_grants_deleted', 'staff_queue_counts_grants_inserted']) {
    await sql`drop function if exists ${sql.raw(fn)}()`.execute(db);
  }
  await sql`drop table if exists staff_queue_count_deltas`.execute(db);
  await sql`drop table if exists staff_queue_counts`.execute(db);
  await sql`drop index if exists identity_requests_pending_idx`.execute(db);
  for (const index of ['reports_duplicate_of_idx', 'reports_linked_queue_idx', 'reports_open_assignee_idx', 'reports_open_province_idx', 'reports_open_categories_idx', 'reports_open_queue_idx', 'reports_province_queue_idx', 'reports_severity_queue_idx', 'reports_due_queue_idx']) {
    await sql`drop index if exists ${sql.raw(index)}`.execute(db);
  }
  await sql`alter table reports drop column if exists severity_weight`.execute(db);
  await sql`alter table reports drop column if exists next_due_at`.execute(db);
}
