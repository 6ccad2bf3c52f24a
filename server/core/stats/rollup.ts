import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../db/executor.js';
import { REPORT_OUTCOMES } from '../reports/lifecycle.js';
import { REFERRAL_CHANNEL_ORDER } from './labels.js';
import { durationBucket } from './histogram.js';
import type { StatsFilter } from './schema.js';
import type { Logger } from 'pino';
import { describeError } from '../errors.js';
import { lookPeriodically } from '../maintenance/runner.js';

/**
 * The daily roll-up (migrations 20261203_1400, 20261204_0900 and 20261204_1300): counts of triage metadata per
 * Beijing day of receipt, channel, province and category set, and the timing roll-up read by
 * timing-rollup.ts. Triggers mark a day stale in the transaction that
 * changes one of its reports or referrals; `refreshStaleDays` rebuilds those days from the reports
 * before any figure is read, so the counts are exactly those of the reports and no request reads
 * more than the days that changed. Only plaintext metadata is read or written here.
 */

/** A Beijing day as the instant it starts, in SQL (day is a `date`). */
const startOf = (day: RawBuilder<unknown>) => sql`((${day})::timestamp - interval '8 hours') at time zone 'UTC'`;

/**
 * Rebuilds every stale day; returns how many this call rebuilt. A month of days per transaction,
 * oldest first, each committed on its own: a full build (every day marked, minutes at millions of
 * reports) never holds today's mark, which every new report's trigger writes, for longer than one
 * batch, and concurrent refreshes share the work (`skip locked`) instead of queueing behind it.
 * Then it waits for the days another refresh is still building, so that what the caller reads
 * next includes them: at most REBUILD_LOCK_TIMEOUT_MS, past which it fails as busy (55P03), which
 * the pages answer as a 503 "try again" rather than show figures missing those days. Inside a
 * caller's transaction it rebuilds everything in that transaction.
 */
export async function refreshStaleDays(db: Executor): Promise<number> {
  if (db.isTransaction) return rebuildBatch(db, null);
  let total = 0;
  for (;;) {
    const n = await db.transaction().execute((trx) => rebuildBatch(trx, DAYS_PER_STATEMENT));
    if (n === 0) break;
    total += n;
  }
  await db.transaction().execute(async (trx) => {
    await waitAtMost(trx, REBUILD_LOCK_TIMEOUT_MS);
    await sql`select day from stats_stale_days for update`.execute(trx);
  });
  return total;
}

/** How long a refresh waits for the days another one is building (see refreshStaleDays). */
export const REBUILD_LOCK_TIMEOUT_MS = 10_000;

/**
 * Refreshes the roll-up every `everyMs` on this instance (one refresh at a time), so that a request
 * finds at most the last minute's changes to rebuild, and the full build after an upgrade runs
 * here, soon after start, not in someone's request. Instances share the work (`skip locked`).
 */
export function startRollupRefresh(db: Executor, logger: Logger, everyMs = 60_000): () => void {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    refreshStaleDays(db)
      .catch((err: unknown) => logger.warn({ err: describeError(err) }, 'statistics roll-up refresh failed'))
      .finally(() => {
        running = false;
      });
  };
  return lookPeriodically(tick, { firstMs: Math.min(10_000, everyMs), everyMs });
}

const waitAtMost = (db: Executor, ms: number) => sql`select set_config('lock_timeout', ${`${ms}ms`}, true)`.execute(db);

/** Takes up to `limit` marks (all with null) not taken by another refresh, and rebuilds their days. */
async function rebuildBatch(db: Executor, limit: number | null): Promise<number> {
  await waitAtMost(db, REBUILD_LOCK_TIMEOUT_MS);
  // Deleting the marks locks them until this transaction ends. A change committed meanwhile marks
  // its day again for the next refresh.
  const { rows } = await sql<{ day: string }>`
    with taken as (
      delete from stats_stale_days where day in (select day from stats_stale_days order by day ${limit === null ? sql`` : sql`limit ${limit}`} for update skip locked)
      returning day)
    select day::text as day from taken`.execute(db);
  const days = rows.map((r) => r.day).sort();
  // A month of days per statement: a full rebuild stays far below the query timeout.
  for (let i = 0; i < days.length; i += DAYS_PER_STATEMENT) await rebuildDays(db, days.slice(i, i + DAYS_PER_STATEMENT));
  return days.length;
}

const DAYS_PER_STATEMENT = 31;

/** The reports received on the Beijing day d.day. */
const receivedOn = sql`join reports r on r.created_at >= ${startOf(sql`d.day`)} and r.created_at < ${startOf(sql`d.day + 1`)}`;

async function rebuildDays(db: Executor, days: string[]): Promise<void> {
  await sql`delete from stats_daily where day = any(${days}::date[])`.execute(db);
  const closed = REPORT_OUTCOMES.map((o) => sql`count(*) filter (where r.status = 'closed' and r.outcome = ${o})::int`);
  const referred = REFERRAL_CHANNEL_ORDER.map((c) => sql`count(*) filter (where ${c} = any(x.channels))::int`);
  await sql`
    insert into stats_daily (day, dims, channel, province, categories, tips, open, referred,
      ${sql.join(REPORT_OUTCOMES.map((o) => sql.id(`closed_${o}`)))}, ${sql.join(REFERRAL_CHANNEL_ORDER.map((c) => sql.id(`to_${c}`)))},
      ${sql.join(DAILY_TIMING_COLUMNS.map((c) => sql.id(c)))})
    select d.day, grouping(r.channel, r.province, r.categories), r.channel, r.province, r.categories, count(*)::int, count(*) filter (where r.status <> 'closed')::int,
      count(r.referral_status)::int, ${sql.join(closed)}, ${sql.join(referred)}, ${dailyTimingCounts()}
    from unnest(${days}::date[]) as d(day) ${receivedOn}
    left join lateral (select array_agg(distinct f.channel) as channels from referrals f where f.report_id = r.id and f.status = 'referred') x on true
    group by d.day, cube(r.channel, r.province, r.categories)`.execute(db);
  await rebuildTimingDays(db, days);
}

/** stats_daily's timing counts (migration 20261204_0900), in the order of dailyTimingCounts. */
export const DAILY_TIMING_COLUMNS = ['crit_n', 'crit_ok', 'ack_n', 'ack_ok', 'fb_n', 'fb_sent'] as const;

function dailyTimingCounts(): RawBuilder<unknown> {
  const crit = sql`r.severity = 'critical'`;
  return sql.join([
    sql`count(r.acknowledged_at) filter (where ${crit})::int`,
    sql`count(*) filter (where ${crit} and r.acknowledged_at <= r.triage_due_at)::int`,
    sql`count(r.acknowledged_at) filter (where not ${crit})::int`,
    sql`count(*) filter (where not ${crit} and r.acknowledged_at <= r.triage_due_at)::int`,
    sql`count(r.first_feedback_at) filter (where r.acknowledged_at is not null)::int`,
    sql`count(r.first_feedback_at)::int`,
  ]);
}

/** stats_timing_hist.measure: triage of critical tips, acknowledgement of the others, first feedback after acknowledgement. */
export const TIMING_MEASURES = [0, 1, 2] as const;
const [CRIT, ACK, FB] = TIMING_MEASURES;
const dayOf = (at: RawBuilder<unknown>) => sql`((${at} at time zone 'UTC') + interval '8 hours')::date`;

/** Each received tip's durations: triage or acknowledgement (by severity), and first feedback after acknowledgement. */
const MEASURED = sql`cross join lateral (values
      (case when r.severity = 'critical' then ${sql.lit(CRIT)} else ${sql.lit(ACK)} end, date_part('epoch', r.acknowledged_at - r.created_at)),
      (${sql.lit(FB)}, date_part('epoch', r.first_feedback_at - r.acknowledged_at))) as m(measure, secs)`;

/**
 * The groupings of the filtered timing roll-up (migration 20261204_1300), '' standing for any:
 * the tip's channel alone, each of its category codes alone, and both. A tip counts once per
 * category code, as the category filter finds it.
 */
const FILTER_GROUPS = sql`cross join lateral (
      select r.channel, ''::text
      union all select '', k.code from (select distinct unnest(r.categories)) as k(code)
      union all select r.channel, k.code from (select distinct unnest(r.categories)) as k(code)) as g(channel, category)`;

/** The duration histograms (unfiltered, and per filter grouping) and the pending-feedback rows of `days`. */
async function rebuildTimingDays(db: Executor, days: string[]): Promise<void> {
  for (const table of ['stats_timing_hist', 'stats_timing_hist_by', 'stats_fb_pending', 'stats_fb_pending_by']) {
    await sql`delete from ${sql.table(table)} where day = any(${days}::date[])`.execute(db);
  }
  // date_part gives the same float8 seconds the exact path compares and sorts.
  await sql`
    insert into stats_timing_hist (day, measure, bucket, n)
    select d.day, m.measure, ${durationBucket(sql`m.secs`)}, count(*)::int
    from unnest(${days}::date[]) as d(day) ${receivedOn} ${MEASURED}
    where m.secs is not null
    group by 1, 2, 3`.execute(db);
  await sql`
    insert into stats_timing_hist_by (channel, category, day, measure, bucket, n)
    select g.channel, g.category, d.day, m.measure, ${durationBucket(sql`m.secs`)}, count(*)::int
    from unnest(${days}::date[]) as d(day) ${receivedOn} ${MEASURED} ${FILTER_GROUPS}
    where m.secs is not null
    group by 1, 2, 3, 4, 5`.execute(db);
  const pending = sql`r.acknowledged_at is not null and r.first_feedback_at is null`;
  await sql`
    insert into stats_fb_pending (day, ack_day, n)
    select d.day, ${dayOf(sql`r.acknowledged_at`)}, count(*)::int
    from unnest(${days}::date[]) as d(day) ${receivedOn}
    where ${pending}
    group by 1, 2`.execute(db);
  await sql`
    insert into stats_fb_pending_by (channel, category, day, ack_day, n)
    select g.channel, g.category, d.day, ${dayOf(sql`r.acknowledged_at`)}, count(*)::int
    from unnest(${days}::date[]) as d(day) ${receivedOn} ${FILTER_GROUPS}
    where ${pending}
    group by 1, 2, 3, 4`.execute(db);
}

type Dimension = 'channel' | 'province' | 'categories';

/**
 * The filter as SQL on `stats_daily` aliased d, on the rows of the grouping that keeps the
 * filtered dimensions and `by` (the figure's own) and sums over the others: grouping()'s bitmask.
 */
export function dailyFilter(f: StatsFilter, opts: { dates?: boolean; by?: Dimension } = {}): RawBuilder<unknown> {
  const kept = (d: Dimension, filtered: unknown) => opts.by === d || filtered !== undefined;
  const dims = (kept('channel', f.channel) ? 0 : 4) | (kept('province', f.province) ? 0 : 2) | (kept('categories', f.category) ? 0 : 1);
  const parts: RawBuilder<unknown>[] = [sql`d.dims = ${dims}`];
  if (opts.dates !== false) parts.push(sql`d.day >= ${f.from}::date`, sql`d.day <= ${f.to}::date`);
  if (f.channel) parts.push(sql`d.channel = ${f.channel}`);
  if (f.province) parts.push(sql`d.province = ${f.province}`);
  if (f.category) parts.push(sql`d.categories @> array[${f.category}]::text[]`);
  return sql.join(parts, sql` and `);
}

// Weeks start on Monday (Beijing days, as the roll-up's days are).
const WEEK = sql`to_char(date_trunc('week', d.day::timestamp), 'YYYY-MM-DD')`;

export type WeekCount = { week: string; key: string; n: number };

export async function weeklyByChannel(db: Executor, f: StatsFilter): Promise<WeekCount[]> {
  const { rows } = await sql<WeekCount>`
    select ${WEEK} as week, d.channel as key, sum(d.tips)::int as n
    from stats_daily d where ${dailyFilter(f, { by: 'channel' })} group by 1, 2 order by 1, 2`.execute(db);
  return rows;
}

/** Sums per category set first (few rows), then splits the sets: a tip counts once per category. */
export async function weeklyByCategory(db: Executor, f: StatsFilter): Promise<WeekCount[]> {
  const { rows } = await sql<WeekCount>`
    select s.week, c.code as key, sum(s.n)::int as n
    from (select ${WEEK} as week, d.categories, sum(d.tips) as n from stats_daily d where ${dailyFilter(f, { by: 'categories' })} group by 1, 2) s
    cross join lateral unnest(s.categories) as c(code)
    group by 1, 2 order by 1, 2`.execute(db);
  return rows;
}

export async function byProvince(db: Executor, f: StatsFilter): Promise<{ key: string | null; n: number }[]> {
  const { rows } = await sql<{ key: string | null; n: number }>`
    select d.province as key, sum(d.tips)::int as n from stats_daily d where ${dailyFilter(f, { by: 'province' })} group by 1 order by 2 desc, 1`.execute(db);
  return rows;
}

export type FlowTotals = {
  readonly outcomes: { key: string; n: number }[];
  readonly referrals: { key: string; n: number }[];
};

/** Totals over the range: closed per outcome, referred per destination (distinct tips). */
export async function flowTotals(db: Executor, f: StatsFilter): Promise<FlowTotals> {
  const { rows } = await sql<Record<string, number | null>>`
    select ${sql.join(REPORT_OUTCOMES.map((o) => sql`sum(${sql.id('d', `closed_${o}`)})::int as ${sql.id(`closed_${o}`)}`))},
      ${sql.join(REFERRAL_CHANNEL_ORDER.map((c) => sql`sum(${sql.id('d', `to_${c}`)})::int as ${sql.id(`to_${c}`)}`))}
    from stats_daily d where ${dailyFilter(f)}`.execute(db);
  const row = rows[0] ?? {};
  const n = (key: string) => Number(row[key] ?? 0);
  return {
    outcomes: REPORT_OUTCOMES.map((o) => ({ key: o, n: n(`closed_${o}`) })).filter((x) => x.n > 0),
    referrals: REFERRAL_CHANNEL_ORDER.map((c) => ({ key: c, n: n(`to_${c}`) })).filter((x) => x.n > 0),
  };
}

const DAY_MS = 86_400_000;
const BACKLOG_BOUNDS_DAYS = [1, 7, 30, 90] as const;
const bucketOf = (age: RawBuilder<unknown>) =>
  sql`case when ${age} < 1 then 0 when ${age} < 7 then 1 when ${age} < 30 then 2 when ${age} < 90 then 3 else 4 end`;

/**
 * Open cases by age now, whatever the date range (the backlog is a state, not a flow). A day
 * that no age bound cuts through lies wholly in one bucket, so its roll-up count is used; the
 * (at most four) days a bound cuts through are counted from the reports, tip by tip.
 */
export async function openBacklog(db: Executor, f: StatsFilter, now: Date, reportFilter: RawBuilder<unknown>): Promise<{ bucket: number; n: number }[]> {
  const cut = BACKLOG_BOUNDS_DAYS.map((d) => new Date(now.getTime() - d * DAY_MS));
  const cutDays = cut.map((at) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10));
  const dayAge = sql`extract(epoch from (${now}::timestamptz - ${startOf(sql`d.day`)})) / 86400`;
  const whole = await sql<{ bucket: number; n: number }>`
    select ${bucketOf(dayAge)} as bucket, sum(d.open)::int as n from stats_daily d
    where d.open > 0 and d.day <> all(${cutDays}::date[]) and ${dailyFilter(f, { dates: false })} group by 1`.execute(db);
  const tipAge = sql`extract(epoch from (${now}::timestamptz - r.created_at)) / 86400`;
  const ranges = cutDays.map((day) => sql`(r.created_at >= ${startOf(sql`${day}::date`)} and r.created_at < ${startOf(sql`${day}::date + 1`)})`);
  const cutThrough = await sql<{ bucket: number; n: number }>`
    select ${bucketOf(tipAge)} as bucket, count(*)::int as n from reports r
    where r.status <> 'closed' and (${sql.join(ranges, sql` or `)}) and ${reportFilter} group by 1`.execute(db);
  const sums = new Map<number, number>();
  for (const row of [...whole.rows, ...cutThrough.rows]) sums.set(Number(row.bucket), (sums.get(Number(row.bucket)) ?? 0) + Number(row.n));
  return [...sums].filter(([, n]) => n > 0).sort(([a], [b]) => a - b).map(([bucket, n]) => ({ bucket, n }));
}
