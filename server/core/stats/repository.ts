import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../db/executor.js';
import { dayStart, shiftDay, type StatsFilter } from './schema.js';
import { rolledUpTimings } from './timing-rollup.js';

/**
 * Statistics queries. They read plaintext triage metadata only (dates, channel, categories,
 * province, severity, status, outcome, referral and identity-request rows, company names) and
 * never a sealed column. Counts come from the daily roll-up (rollup.ts), and so do the timing
 * figures of a large range without a province filter (timing-rollup.ts); the timing figures of a
 * small range, or one filtered by province, are a range scan of reports_stats_idx (migration
 * 20261202_1400) or reports_stats_province_idx (20261204_1200), which hold every column read
 * here, so no request scans the table.
 */

type Where = RawBuilder<unknown>;

/**
 * The filter as SQL on `reports` aliased r, or on another table holding the report's channel,
 * province and categories under `alias` (identity_requests, migration 20261204_1200).
 */
export function reportFilter(f: StatsFilter, opts: { dates?: boolean; alias?: string } = {}): Where {
  const col = (name: string) => sql.ref(`${opts.alias ?? 'r'}.${name}`);
  const parts: RawBuilder<unknown>[] = [];
  if (opts.dates !== false) {
    parts.push(sql`${col('created_at')} >= ${dayStart(f.from)}`, sql`${col('created_at')} < ${dayStart(shiftDay(f.to, 1))}`);
  }
  if (f.channel) parts.push(sql`${col('channel')} = ${f.channel}`);
  if (f.province) parts.push(sql`${col('province')} = ${f.province}`);
  // Not `@> array[…]`: the planner would AND the range with a bitmap of every report in the category
  // from the GIN index (330,000 at ten million reports), where checking the range's rows is cheap.
  if (f.category) parts.push(sql`${f.category} = any(${col('categories')})`);
  return parts.length ? sql.join(parts, sql` and `) : sql`true`;
}

export type TimingRow = {
  total: number;
  crit_n: number; crit_median: number | null; crit_p90: number | null; crit_ok: number; crit_due: number;
  ack_n: number; ack_median: number | null; ack_p90: number | null; ack_ok: number; ack_due: number;
  fb_n: number; fb_median: number | null; fb_p90: number | null; fb_ok: number; fb_due: number;
  referred: number;
  /** Medians and p90 read from the roll-up's histograms (timing-rollup.ts), not sorted from the tips; every count is exact either way. */
  estimated: boolean;
};

/** Above this many tips in a range without a province filter, the timing figures come from the roll-up. */
export const HISTOGRAM_ABOVE = 50_000;

/**
 * Response times in seconds (median and p90) and deadline compliance. Triage is leaving `new` for
 * a critical tip, acknowledgement the same for any other (both measured against triage_due_at,
 * the deadline set at intake); first feedback is a reviewer's first message after acknowledgement,
 * measured against the feedback window in force. A tip counts as due once it met its deadline or
 * the deadline passed.
 */
export async function timings(db: Executor, f: StatsFilter, feedbackWindowSeconds: number, now: Date, histogramAbove = HISTOGRAM_ABOVE): Promise<TimingRow> {
  // A large range without a province filter: reading and sorting every tip's durations is what cannot meet the page's budget.
  return (await rolledUpTimings(db, f, feedbackWindowSeconds, now, histogramAbove, reportFilter(f))) ?? exactTimings(db, f, feedbackWindowSeconds, now);
}

/** The timing figures from the range's reports, percentiles sorted exactly (reports_stats_idx). */
async function exactTimings(db: Executor, f: StatsFilter, feedbackWindowSeconds: number, now: Date): Promise<TimingRow> {
  // date_part gives float8, which percentile_cont sorts directly; extract would build numerics first.
  const ackSecs = sql`date_part('epoch', r.acknowledged_at - r.created_at)`;
  const fbSecs = sql`date_part('epoch', r.first_feedback_at - r.acknowledged_at)`;
  const crit = sql`r.severity = 'critical'`;
  const fbDeadline = sql`r.acknowledged_at + make_interval(secs => ${feedbackWindowSeconds})`;
  // One ordered aggregate per measure gives both percentiles from one sort.
  const { rows } = await sql<Omit<TimingRow, 'estimated'> & Record<'crit_p' | 'ack_p' | 'fb_p', unknown[] | null>>`
    select count(*)::int as total,
      count(r.acknowledged_at) filter (where ${crit})::int as crit_n,
      percentile_cont(array[0.5, 0.9]::float8[]) within group (order by ${ackSecs}) filter (where ${crit}) as crit_p,
      count(*) filter (where ${crit} and r.acknowledged_at <= r.triage_due_at)::int as crit_ok,
      count(*) filter (where ${crit} and (r.acknowledged_at is not null or r.triage_due_at < ${now}))::int as crit_due,
      count(r.acknowledged_at) filter (where not ${crit})::int as ack_n,
      percentile_cont(array[0.5, 0.9]::float8[]) within group (order by ${ackSecs}) filter (where not ${crit}) as ack_p,
      count(*) filter (where not ${crit} and r.acknowledged_at <= r.triage_due_at)::int as ack_ok,
      count(*) filter (where not ${crit} and (r.acknowledged_at is not null or r.triage_due_at < ${now}))::int as ack_due,
      count(r.first_feedback_at) filter (where r.acknowledged_at is not null)::int as fb_n,
      percentile_cont(array[0.5, 0.9]::float8[]) within group (order by ${fbSecs}) as fb_p,
      count(*) filter (where r.first_feedback_at <= ${fbDeadline})::int as fb_ok,
      count(*) filter (where r.first_feedback_at is not null or ${fbDeadline} < ${now})::int as fb_due,
      count(r.referral_status)::int as referred
    from reports r where ${reportFilter(f)}`.execute(db);
  const { crit_p, ack_p, fb_p, ...row } = rows[0]!;
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    ...row,
    crit_median: num(crit_p?.[0]), crit_p90: num(crit_p?.[1]),
    ack_median: num(ack_p?.[0]), ack_p90: num(ack_p?.[1]),
    fb_median: num(fb_p?.[0]), fb_p90: num(fb_p?.[1]),
    estimated: false,
  };
}

/**
 * Identity-access requests made in the range (by their own date), and how they were decided. A
 * request row carries its report's channel, province and categories (migration 20261204_1200), so
 * a filtered count reads the date index (identity_requests_stats_idx) and never the reports.
 */
export async function identityRequests(db: Executor, f: StatsFilter): Promise<{ key: string; n: number }[]> {
  const { rows } = await sql<{ key: string; n: number }>`
    select i.status as key, count(*)::int as n from identity_requests i
    where ${reportFilter(f, { alias: 'i' })}
    group by 1 order by 1`.execute(db);
  return rows;
}

/**
 * Participation per courier company: employee accounts joined (active at the end of the range),
 * outlets with at least one of them, and case credits (art. 38 (4): the company or one of its
 * outlets removed a risk on its own initiative) recorded in the range on a case the filters match.
 * Never tips per company: an employee tip is not linkable to its outlet in clear (DESIGN §3), and
 * these counts do not try to link it.
 */
export type CompanyParticipation = { company: string; employees: number; outlets: number; credits: number };

export async function participation(db: Executor, f: StatsFilter): Promise<CompanyParticipation[]> {
  const start = dayStart(f.from);
  const end = dayStart(shiftDay(f.to, 1));
  const { rows } = await sql<CompanyParticipation>`
    with staff_counts as (
      select t.organisation_id as id, count(e.id)::int as employees, count(distinct e.outlet_id)::int as outlets
      from outlets t join employees e on e.outlet_id = t.id
      where e.created_at < ${end} and (e.deactivated_at is null or e.deactivated_at >= ${end})
        ${f.province ? sql`and t.province = ${f.province}` : sql``}
      group by 1
    ), credit_counts as (
      select c.organisation_id as id, count(*)::int as credits
      from case_credits c join reports r on r.id = c.report_id
      where c.created_at >= ${start} and c.created_at < ${end} and ${reportFilter(f, { dates: false })}
      group by 1
    )
    select o.name as company, coalesce(s.employees, 0) as employees, coalesce(s.outlets, 0) as outlets, coalesce(c.credits, 0) as credits
    from organisations o left join staff_counts s on s.id = o.id left join credit_counts c on c.id = o.id
    where s.id is not null or c.id is not null
    order by 2 desc, 4 desc, 1`.execute(db);
  return rows;
}
