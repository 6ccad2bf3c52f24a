import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../db/executor.js';
import { bucketEndingAt, countThrough, percentiles, type Histogram } from './histogram.js';
import { DAILY_TIMING_COLUMNS, dailyFilter } from './rollup.js';
import { beijingDay, dayStart, type StatsFilter } from './schema.js';
import type { TimingRow } from './repository.js';

/**
 * The timing roll-up (migrations 20261204_0900 and 20261204_1300): duration histograms and the
 * per-day rows that make deadline compliance exact without reading the range's reports. Rebuilt
 * with stats_daily for the same stale days. Read for a range without a filter, or filtered by
 * channel, category or both; a province filter narrows the exact scan instead.
 */

type DailyTotals = Record<'total' | 'referred' | (typeof DAILY_TIMING_COLUMNS)[number], number>;

/**
 * The timing figures from the roll-up, or undefined when the exact scan is the better answer: a
 * province filter (reports_stats_province_idx reads that province's share of the range, and the
 * roll-up keeps no province grouping), a range of at most `histogramAbove` tips, or a feedback
 * window that is not a bucket edge. `reportFilter`: the range and its channel and category
 * filter on reports aliased r (repository.reportFilter), for the few tips counted one by one.
 */
export async function rolledUpTimings(
  db: Executor, f: StatsFilter, feedbackWindowSeconds: number, now: Date, histogramAbove: number, reportFilter: RawBuilder<unknown>,
): Promise<TimingRow | undefined> {
  const windowBucket = bucketEndingAt(feedbackWindowSeconds);
  if (f.province || windowBucket === undefined) return undefined;
  const totals = await dailyTotals(db, f);
  if (totals.total <= histogramAbove) return undefined;
  const [crit, ack, fb] = await histograms(db, f);
  const late = await unacknowledgedLate(db, now, reportFilter);
  const fbLate = await withoutFeedbackLate(db, f, new Date(now.getTime() - feedbackWindowSeconds * 1000), reportFilter);
  const spread = (h: Histogram) => {
    const [median = null, p90 = null] = percentiles(h, [0.5, 0.9]);
    return { median, p90 };
  };
  const [critP, ackP, fbP] = [spread(crit), spread(ack), spread(fb)];
  return {
    total: totals.total,
    crit_n: totals.crit_n, crit_median: critP.median, crit_p90: critP.p90, crit_ok: totals.crit_ok, crit_due: totals.crit_n + late.crit,
    ack_n: totals.ack_n, ack_median: ackP.median, ack_p90: ackP.p90, ack_ok: totals.ack_ok, ack_due: totals.ack_n + late.ack,
    fb_n: totals.fb_n, fb_median: fbP.median, fb_p90: fbP.p90, fb_ok: countThrough(fb, windowBucket), fb_due: totals.fb_sent + fbLate,
    referred: totals.referred,
    estimated: true,
  };
}

/** The *_by tables' grouping of a channel and/or category filter ('' = any), or undefined for an unfiltered range. */
function grouping(f: StatsFilter): RawBuilder<unknown> | undefined {
  if (f.channel === undefined && f.category === undefined) return undefined;
  return sql`channel = ${f.channel ?? ''} and category = ${f.category ?? ''}`;
}

async function dailyTotals(db: Executor, f: StatsFilter): Promise<DailyTotals> {
  const sums = DAILY_TIMING_COLUMNS.map((c) => sql`coalesce(sum(${sql.id('d', c)}), 0)::int as ${sql.id(c)}`);
  const { rows } = await sql<DailyTotals>`
    select coalesce(sum(d.tips), 0)::int as total, coalesce(sum(d.referred), 0)::int as referred, ${sql.join(sums)}
    from stats_daily d where ${dailyFilter(f)}`.execute(db);
  return rows[0]!;
}

/** The range's histograms, one per measure (rollup.ts TIMING_MEASURES: the measure is the index). */
async function histograms(db: Executor, f: StatsFilter): Promise<[Histogram, Histogram, Histogram]> {
  const by = grouping(f);
  const { rows } = await sql<{ measure: number; bucket: number; n: number }>`
    select measure, bucket, sum(n)::int as n from ${sql.table(by ? 'stats_timing_hist_by' : 'stats_timing_hist')}
    where ${by ?? sql`true`} and day >= ${f.from}::date and day <= ${f.to}::date group by 1, 2`.execute(db);
  const out: [Map<number, number>, Map<number, number>, Map<number, number>] = [new Map(), new Map(), new Map()];
  for (const r of rows) out[Number(r.measure)]?.set(Number(r.bucket), Number(r.n));
  return out;
}

/** Unacknowledged tips whose triage deadline has passed: few (new, or closed unacknowledged), through reports_unacknowledged_idx. */
async function unacknowledgedLate(db: Executor, now: Date, reportFilter: RawBuilder<unknown>): Promise<{ crit: number; ack: number }> {
  const { rows } = await sql<{ crit: number; ack: number }>`
    select count(*) filter (where r.severity = 'critical')::int as crit, count(*) filter (where r.severity <> 'critical')::int as ack
    from reports r where r.acknowledged_at is null and r.triage_due_at < ${now} and ${reportFilter}`.execute(db);
  return rows[0]!;
}

/**
 * Acknowledged tips without a first feedback whose window closed before now (acknowledged before
 * `cut` = now − window). Acknowledgement days wholly before the cut come from stats_fb_pending
 * (or stats_fb_pending_by, filtered); the one day the cut falls in is counted tip by tip through
 * reports_feedback_pending_idx (the same split as the backlog's age bounds in rollup.ts).
 */
async function withoutFeedbackLate(db: Executor, f: StatsFilter, cut: Date, reportFilter: RawBuilder<unknown>): Promise<number> {
  const cutDay = beijingDay(cut);
  const by = grouping(f);
  const whole = await sql<{ n: number }>`
    select coalesce(sum(p.n), 0)::int as n from ${sql.table(by ? 'stats_fb_pending_by' : 'stats_fb_pending')} p
    where ${by ?? sql`true`} and p.day >= ${f.from}::date and p.day <= ${f.to}::date and p.ack_day < ${cutDay}::date`.execute(db);
  const partial = await sql<{ n: number }>`
    select count(*)::int as n from reports r
    where r.first_feedback_at is null and r.acknowledged_at is not null
      and r.acknowledged_at >= ${dayStart(cutDay)} and r.acknowledged_at < ${cut} and ${reportFilter}`.execute(db);
  return Number(whole.rows[0]!.n) + Number(partial.rows[0]!.n);
}
