import { sql, type Kysely } from 'kysely';

// The timing roll-up of migration 20261204_0900 for pages filtered by channel, by category, or by
// both, without a province. Those filters do not narrow the exact scan (at ten million reports,
// 180 days of one category read 2.5 million index entries: ~2 s); a province filter does, through
// reports_stats_province_idx (migration 20261204_1200), and stays exact.
// - stats_timing_hist_by: the duration histograms per day and per channel ('' = any), category
//   code ('' = any) and both. A tip counts once in each of its categories, as the filter does.
// - stats_fb_pending_by: acknowledged reports without a first feedback, the same groupings.
// - reports_unacknowledged_idx also covers channel and categories, so the few tips never
//   acknowledged are counted under a filter without reading the table.
// Every day with reports is marked stale, so the background refresh fills the new rows.

const DAY_OF = (column: string) => sql.raw(`((${column} at time zone 'UTC') + interval '8 hours')::date`);

export async function up(db: Kysely<unknown>): Promise<void> {
  // Keyed by the grouping first: a filtered page reads one grouping's run of days.
  await sql`
    create table stats_timing_hist_by (
      channel text not null,
      category text not null,
      day date not null,
      measure smallint not null,
      bucket smallint not null,
      n integer not null,
      primary key (channel, category, day, measure, bucket) include (n)
    )`.execute(db);
  await sql`create index stats_timing_hist_by_day_idx on stats_timing_hist_by (day)`.execute(db);
  await sql`
    create table stats_fb_pending_by (
      channel text not null,
      category text not null,
      day date not null,
      ack_day date not null,
      n integer not null,
      primary key (channel, category, day, ack_day) include (n)
    )`.execute(db);
  await sql`create index stats_fb_pending_by_day_idx on stats_fb_pending_by (day)`.execute(db);
  await sql`drop index if exists reports_unacknowledged_idx`.execute(db);
  await sql`create index reports_unacknowledged_idx on reports (created_at) include (severity, triage_due_at, channel, categories) where acknowledged_at is null`.execute(db);
  await sql`insert into stats_stale_days (day) select distinct ${DAY_OF('created_at')} from reports on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists reports_unacknowledged_idx`.execute(db);
  await sql`create index reports_unacknowledged_idx on reports (created_at) include (severity, triage_due_at) where acknowledged_at is null`.execute(db);
  await sql`drop table if exists stats_fb_pending_by`.execute(db);
  await sql`drop table if exists stats_timing_hist_by`.execute(db);
}
