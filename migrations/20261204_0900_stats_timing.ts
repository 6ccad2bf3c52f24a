import { sql, type Kysely } from 'kysely';

// Response times at scale: the daily roll-up (migration 20261203_1400) gains what /staff/stats
// needs for its timing table, so an unfiltered page over a large range no longer sorts every
// report's durations. Built in the same pass, for the same stale days, as stats_daily.
// - stats_daily: exact per-day counts for the timing table: acknowledged critical tips and those
//   acknowledged by their triage deadline (crit_n, crit_ok), the same for the others (ack_n,
//   ack_ok), acknowledged tips with a first feedback (fb_n), and tips with a first feedback at all
//   (fb_sent, the "due" side of feedback compliance).
// - stats_timing_hist: per Beijing day of receipt and measure (0 triage of critical tips, 1
//   acknowledgement of the others, 2 first feedback after acknowledgement), how many durations
//   fall in each bucket (edges in server/core/stats/histogram.ts). Sparse: empty buckets have no
//   row. Unfiltered grouping only: filtered pages keep the exact scan (few rows).
// - stats_fb_pending: per day of receipt, acknowledged tips still without a first feedback, per
//   Beijing day of acknowledgement: whether such a tip is "due" depends on now and the feedback
//   window, and whole acknowledgement days on either side of now − window are counted from here.
// - Two partial indexes on reports for the rest, counted tip by tip at request time: the
//   unacknowledged tips (due once their triage deadline passed) and the acknowledged tips without
//   feedback on the one acknowledgement day that now − window cuts through.
// Every day with reports is marked stale, so the first statistics request fills the new rows.

const DAY_OF = (column: string) => sql.raw(`((${column} at time zone 'UTC') + interval '8 hours')::date`);
const COUNTS = ['crit_n', 'crit_ok', 'ack_n', 'ack_ok', 'fb_n', 'fb_sent'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const c of COUNTS) await sql`alter table stats_daily add column if not exists ${sql.id(c)} integer not null default 0`.execute(db);
  // The key covers the count: summing a range of days is an index-only scan.
  await sql`
    create table stats_timing_hist (
      day date not null,
      measure smallint not null,
      bucket smallint not null,
      n integer not null,
      primary key (day, measure, bucket) include (n)
    )`.execute(db);
  await sql`
    create table stats_fb_pending (
      day date not null,
      ack_day date not null,
      n integer not null,
      primary key (day, ack_day) include (n)
    )`.execute(db);
  await sql`create index if not exists reports_unacknowledged_idx on reports (created_at) include (severity, triage_due_at) where acknowledged_at is null`.execute(db);
  await sql`
    create index if not exists reports_feedback_pending_idx on reports (acknowledged_at) include (created_at)
    where first_feedback_at is null and acknowledged_at is not null`.execute(db);
  await sql`insert into stats_stale_days (day) select distinct ${DAY_OF('created_at')} from reports on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists reports_feedback_pending_idx`.execute(db);
  await sql`drop index if exists reports_unacknowledged_idx`.execute(db);
  await sql`drop table if exists stats_fb_pending`.execute(db);
  await sql`drop table if exists stats_timing_hist`.execute(db);
  for (const c of [...COUNTS].reverse()) await sql`alter table stats_daily drop column if exists ${sql.id(c)}`.execute(db);
}
