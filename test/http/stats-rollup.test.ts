import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { submitTestReport } from '../helpers/reports.js';
import { signedIn, type Actor } from './case-fixtures.js';
import { loadStatistics, type StatsData } from '../../server/core/stats/service.js';
import type { StatsFilter } from '../../server/core/stats/schema.js';
import { DEFAULT_SLA_POLICY } from '../../server/core/queue/sla.js';
import { shredCase } from '../../server/core/retention/shred.js';
import { bucketEndingAt, EDGES } from '../../server/core/stats/histogram.js';

/**
 * The daily roll-up (migrations 20261203_1400 and 20261204_0900) against the reports themselves:
 * after every kind of change (new tips, acknowledgements and feedback, a status change, a referral
 * added and withdrawn, a shredding, a deletion) the figures read from the roll-up, and the timing
 * roll-up's rows, equal the same figures counted straight from the reports.
 */

let t: TestApp;
let reviewer: Actor;
const db = () => t.database.db;
const NOW = new Date('2026-11-20T12:00:00+08:00');
const NOVEMBER: StatsFilter = { from: '2026-11-01', to: '2026-11-30' };
const FILTERS: StatsFilter[] = [
  NOVEMBER,
  { ...NOVEMBER, channel: 'employee' },
  { ...NOVEMBER, province: 'BJ' },
  { ...NOVEMBER, category: 'drugs' },
  { ...NOVEMBER, channel: 'public', province: 'GD', category: 'spy_equipment' },
  { from: '2026-11-10', to: '2026-11-12' },
];

const PLAN = [
  { created: '2026-11-02T23:30:00', channel: 'public', province: 'GD', categories: ['spy_equipment'] },
  { created: '2026-11-03T00:30:00', channel: 'public', province: 'GD', categories: ['spy_equipment', 'drugs'] },
  { created: '2026-11-10T08:00:00', channel: 'employee', province: 'BJ', categories: ['drugs'] },
  { created: '2026-11-12T23:59:00', channel: 'employee', province: 'BJ', categories: ['drugs'] },
  { created: '2026-11-13T00:00:00', channel: 'public', province: 'BJ', categories: ['spy_equipment'] },
  // Open backlog around the age bounds of NOW: just under and over 1, 7 and 30 days.
  { created: '2026-11-19T12:30:00', channel: 'public', province: 'GD', categories: ['drugs'] },
  { created: '2026-11-19T11:30:00', channel: 'public', province: 'GD', categories: ['drugs'] },
  { created: '2026-11-13T12:30:00', channel: 'employee', province: 'GD', categories: ['drugs'] },
  { created: '2026-11-13T11:30:00', channel: 'public', province: 'BJ', categories: ['spy_equipment'] },
  { created: '2026-10-21T11:30:00', channel: 'public', province: 'GD', categories: ['drugs'] },
] as const;

const ids: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t);
  for (const p of PLAN) {
    const r = await submitTestReport(t, { categories: [...p.categories] as ['drugs'], province: p.province });
    await db().updateTable('reports').set({ channel: p.channel, created_at: new Date(`${p.created}+08:00`), status: 'in_review' }).where('id', '=', r.reportId).execute();
    ids.push(r.reportId);
  }
}, 120_000);

afterAll(async () => {
  await t?.close();
});

/** The roll-up's figures for a filter, in a form the oracle below also produces. */
function figures(data: StatsData) {
  const sum = (rows: { key: string | null; n: number }[]) => Object.fromEntries(rows.filter((r) => r.n > 0).map((r) => [r.key ?? '-', r.n]));
  const weekly = (rows: { week: string; key: string; n: number }[]) => Object.fromEntries(rows.filter((r) => r.n > 0).map((r) => [`${r.week}|${r.key}`, r.n]));
  return {
    channel: weekly(data.weeklyByChannel),
    category: weekly(data.weeklyByCategory),
    province: sum(data.byProvince),
    outcomes: sum(data.outcomes),
    referrals: sum(data.referrals),
    backlog: Object.fromEntries(data.backlog.filter((b) => b.n > 0).map((b) => [String(b.bucket), b.n])),
  };
}

/** The same figures counted tip by tip from the reports: the definition the roll-up must match. */
async function oracle(f: StatsFilter) {
  const where = sql.join([
    ...(f.channel ? [sql`r.channel = ${f.channel}`] : []),
    ...(f.province ? [sql`r.province = ${f.province}`] : []),
    ...(f.category ? [sql`${f.category} = any(r.categories)`] : []),
    sql`true`,
  ], sql` and `);
  const inRange = sql`(r.created_at at time zone 'Asia/Shanghai')::date between ${f.from}::date and ${f.to}::date`;
  const week = sql`to_char(date_trunc('week', r.created_at at time zone 'Asia/Shanghai'), 'YYYY-MM-DD')`;
  const map = async (q: ReturnType<typeof sql<{ k: string; n: number }>>) => Object.fromEntries((await q.execute(db())).rows.map((r) => [r.k, Number(r.n)]));
  const age = sql`extract(epoch from (${NOW}::timestamptz - r.created_at)) / 86400`;
  return {
    channel: await map(sql`select ${week} || '|' || r.channel as k, count(*) as n from reports r where ${inRange} and ${where} group by 1`),
    category: await map(sql`select ${week} || '|' || c as k, count(*) as n from reports r, unnest(r.categories) c where ${inRange} and ${where} group by 1`),
    province: await map(sql`select coalesce(r.province, '-') as k, count(*) as n from reports r where ${inRange} and ${where} group by 1`),
    outcomes: await map(sql`select r.outcome as k, count(*) as n from reports r where r.status = 'closed' and r.outcome is not null and ${inRange} and ${where} group by 1`),
    referrals: await map(sql`select x.channel as k, count(distinct r.id) as n from reports r join referrals x on x.report_id = r.id and x.status = 'referred' where ${inRange} and ${where} group by 1`),
    backlog: await map(sql`select (case when ${age} < 1 then 0 when ${age} < 7 then 1 when ${age} < 30 then 2 when ${age} < 90 then 3 else 4 end)::text as k, count(*) as n from reports r where r.status <> 'closed' and ${where} group by 1`),
  };
}

async function expectRollupMatchesReports() {
  for (const f of FILTERS) {
    const data = await loadStatistics(db(), f, DEFAULT_SLA_POLICY, NOW);
    expect(figures(data), JSON.stringify(f)).toEqual(await oracle(f));
  }
  expect(await timingRollup()).toEqual(await timingOracle());
}

/** The timing roll-up's rows, keyed by day (and measure and bucket, or day of acknowledgement). */
async function timingRollup() {
  const rows = async (q: ReturnType<typeof sql<{ k: string; n: number }>>) => Object.fromEntries((await q.execute(db())).rows.map((r) => [r.k, Number(r.n)]));
  return {
    daily: await rows(sql<{ k: string; n: number }>`select d.day || '|' || d.crit_n || '|' || d.crit_ok || '|' || d.ack_n || '|' || d.ack_ok || '|' || d.fb_n || '|' || d.fb_sent as k, 1 as n from stats_daily d where d.dims = 7`),
    hist: await rows(sql<{ k: string; n: number }>`select day || '|' || measure || '|' || bucket as k, n from stats_timing_hist`),
    pending: await rows(sql<{ k: string; n: number }>`select day || '|' || ack_day as k, n from stats_fb_pending`),
  };
}

/** The same rows from the reports: buckets placed here in TypeScript, (lo, hi] by the edge list. */
async function timingOracle() {
  const day = (column: string) => sql.raw(`(${column} at time zone 'Asia/Shanghai')::date`);
  const daily = await sql<{ k: string }>`
    select ${day('r.created_at')} || '|' || count(*) filter (where r.severity = 'critical' and r.acknowledged_at is not null)
      || '|' || count(*) filter (where r.severity = 'critical' and r.acknowledged_at <= r.triage_due_at)
      || '|' || count(*) filter (where r.severity <> 'critical' and r.acknowledged_at is not null)
      || '|' || count(*) filter (where r.severity <> 'critical' and r.acknowledged_at <= r.triage_due_at)
      || '|' || count(*) filter (where r.first_feedback_at is not null and r.acknowledged_at is not null)
      || '|' || count(*) filter (where r.first_feedback_at is not null) as k
    from reports r group by ${day('r.created_at')}`.execute(db());
  const durations = await sql<{ day: string; crit: boolean; ack: number | null; fb: number | null }>`
    select ${day('r.created_at')}::text as day, r.severity = 'critical' as crit, extract(epoch from r.acknowledged_at - r.created_at)::float8 as ack,
      extract(epoch from r.first_feedback_at - r.acknowledged_at)::float8 as fb from reports r`.execute(db());
  const hist: Record<string, number> = {};
  const add = (key: string) => (hist[key] = (hist[key] ?? 0) + 1);
  for (const r of durations.rows) {
    const bucket = (secs: number) => EDGES.filter((e) => e < secs).length;
    if (r.ack !== null) add(`${r.day}|${r.crit ? 0 : 1}|${bucket(Number(r.ack))}`);
    if (r.fb !== null) add(`${r.day}|2|${bucket(Number(r.fb))}`);
  }
  const pending = await sql<{ k: string; n: number }>`
    select ${day('r.created_at')} || '|' || ${day('r.acknowledged_at')} as k, count(*)::int as n from reports r
    where r.acknowledged_at is not null and r.first_feedback_at is null group by 1`.execute(db());
  return {
    daily: Object.fromEntries(daily.rows.map((r) => [r.k, 1])),
    hist,
    pending: Object.fromEntries(pending.rows.map((r) => [r.k, Number(r.n)])),
  };
}

describe('the daily roll-up', () => {
  it('matches the reports after intake, across Beijing midnight and the backlog age bounds', async () => {
    await expectRollupMatchesReports();
    const all = await loadStatistics(db(), NOVEMBER, DEFAULT_SLA_POLICY, NOW);
    expect(all.backlog).toEqual([{ bucket: 0, n: 1 }, { bucket: 1, n: 2 }, { bucket: 2, n: 6 }, { bucket: 3, n: 1 }]);
    expect(all.weeklyByChannel).toContainEqual({ week: '2026-11-09', key: 'employee', n: 3 });
  });

  it('rolls up acknowledgement and first-feedback times by day of receipt, across Beijing midnight', async () => {
    const at = (iso: string) => new Date(`${iso}+08:00`);
    const times = [
      { id: ids[0]!, severity: 'critical', acknowledged_at: at('2026-11-03T00:10:00'), triage_due_at: at('2026-11-03T00:30:00'), first_feedback_at: at('2026-11-10T00:10:00') },
      { id: ids[2]!, severity: 'normal', acknowledged_at: at('2026-11-10T09:00:00'), triage_due_at: at('2026-11-11T08:00:00'), first_feedback_at: null },
      { id: ids[3]!, severity: 'critical', acknowledged_at: at('2026-11-13T01:00:00'), triage_due_at: at('2026-11-13T00:59:00'), first_feedback_at: null },
      { id: ids[4]!, severity: 'normal', acknowledged_at: at('2026-11-13T00:00:00'), triage_due_at: at('2026-11-14T00:00:00'), first_feedback_at: at('2026-11-13T00:00:01') },
    ] as const;
    for (const { id, ...set } of times) await db().updateTable('reports').set(set).where('id', '=', id).execute();
    await expectRollupMatchesReports();
    // The first feedback exactly 7 days after acknowledgement lies in the bucket that ends at 7 days.
    const { rows } = await sql<{ bucket: number }>`select bucket from stats_timing_hist where day = '2026-11-02' and measure = 2`.execute(db());
    expect(rows.map((r) => Number(r.bucket))).toEqual([bucketEndingAt(7 * 86_400)]);
  });

  it('follows a close, a referral made and withdrawn, and a new tip, with no refresh by hand', async () => {
    await db().updateTable('reports').set({ status: 'closed', outcome: 'unfounded', closed_at: NOW }).where('id', '=', ids[0]!).execute();
    await db().updateTable('reports').set({ status: 'closed', outcome: 'referred_to_authority', closed_at: NOW, referral_status: 'referred' }).where('id', 'in', [ids[1]!, ids[2]!]).execute();
    for (const [i, channel] of [[1, 'hotline_12339'], [1, 'police_110'], [2, 'hotline_12339'], [2, 'hotline_12339']] as const) {
      await sql`insert into referrals (id, report_id, channel, referred_at, status, details_sealed, created_by, created_at)
        values (gen_random_uuid(), ${ids[i]!}, ${channel}, ${NOW}, 'referred', ${new Uint8Array([1])}, ${reviewer.staff.id}, ${NOW})`.execute(db());
    }
    await expectRollupMatchesReports();
    expect((await loadStatistics(db(), NOVEMBER, DEFAULT_SLA_POLICY, NOW)).referrals).toEqual([{ key: 'hotline_12339', n: 2 }, { key: 'police_110', n: 1 }]);
    await db().deleteFrom('referrals').where('report_id', '=', ids[2]!).execute();
    const extra = await submitTestReport(t, { categories: ['drugs'], province: 'BJ' });
    await db().updateTable('reports').set({ created_at: new Date('2026-11-11T10:00:00+08:00') }).where('id', '=', extra.reportId).execute();
    await expectRollupMatchesReports();
    expect((await loadStatistics(db(), NOVEMBER, DEFAULT_SLA_POLICY, NOW)).referrals).toEqual([{ key: 'hotline_12339', n: 1 }, { key: 'police_110', n: 1 }]);
  });

  it('stays right when retention shreds a case (its referrals go, the tombstone counts) and when a row is deleted', async () => {
    const before = await loadStatistics(db(), NOVEMBER, DEFAULT_SLA_POLICY, NOW);
    const shredded = await shredCase(db(), ids[1]!, { unfoundedDays: 0, referredDays: 0, otherDays: 0 }, new Date(NOW.getTime() + 1000), { kind: 'cli' });
    expect(shredded?.counts.referrals).toBe(2);
    const after = await loadStatistics(db(), NOVEMBER, DEFAULT_SLA_POLICY, NOW);
    expect(after.timings.total).toBe(before.timings.total);
    expect(after.outcomes).toEqual(before.outcomes);
    expect(after.referrals).toEqual([]);
    await expectRollupMatchesReports();
    await db().deleteFrom('reports').where('id', '=', ids[4]!).execute();
    await expectRollupMatchesReports();
  });

  it('rebuilds only the days that changed', async () => {
    await loadStatistics(db(), NOVEMBER, DEFAULT_SLA_POLICY, NOW);
    expect((await sql<{ n: number }>`select count(*)::int as n from stats_stale_days`.execute(db())).rows[0]!.n).toBe(0);
    await db().updateTable('reports').set({ severity: 'high' }).where('id', '=', ids[3]!).execute();
    expect((await sql<{ day: string }>`select day::text as day from stats_stale_days`.execute(db())).rows).toEqual([{ day: '2026-11-12' }]);
  });

  // Two connections at once: PostgreSQL only (the embedded database has one, so nothing can wait).
  it.skipIf(!process.env.DATABASE_URL)('shares a build with another refresh, and answers a translated 503 when that one holds days past the lock wait', async () => {
    await loadStatistics(db(), NOVEMBER, DEFAULT_SLA_POLICY, NOW);
    await db().updateTable('reports').set({ severity: 'low' }).where('id', 'in', [ids[0]!, ids[2]!]).execute();
    expect((await sql<{ day: string }>`select day::text as day from stats_stale_days order by day`.execute(db())).rows.map((r) => r.day)).toEqual(['2026-11-02', '2026-11-10']);
    await db().transaction().execute(async (trx) => {
      // Another refresh (say, the background one) has taken 2026-11-02 and is still building it.
      await sql`delete from stats_stale_days where day = '2026-11-02'`.execute(trx);
      const res = await reviewer.agent.get(`/staff/stats?from=2026-11-01&to=2026-11-30`).set('Accept-Language', 'en');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('10');
      expect(res.text).not.toContain('55P03');
      // The day nobody held was rebuilt and committed meanwhile (skip locked, a batch per
      // transaction); the held one is, to everyone else, still marked.
      expect((await sql<{ day: string }>`select day::text as day from stats_stale_days`.execute(db())).rows).toEqual([{ day: '2026-11-02' }]);
      await sql`insert into stats_stale_days (day) values ('2026-11-02')`.execute(trx); // handed back unbuilt
    });
    expect((await reviewer.agent.get(`/staff/stats?from=2026-11-01&to=2026-11-30`)).status).toBe(200);
    await expectRollupMatchesReports();
  }, 40_000);
});
