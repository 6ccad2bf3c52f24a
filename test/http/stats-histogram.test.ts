import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { loadStatistics } from '../../server/core/stats/service.js';
import type { TimingRow } from '../../server/core/stats/repository.js';
import { presentStatistics } from '../../server/core/stats/present.js';
import { statsCsv } from '../../server/core/stats/exports.js';
import { bucketEndingAt, durationBucket, MAX_RELATIVE_ERROR } from '../../server/core/stats/histogram.js';
import type { StatsFilter } from '../../server/core/stats/schema.js';
import { DEFAULT_SLA_POLICY, type SlaPolicy } from '../../server/core/queue/sla.js';

/**
 * The timing roll-up (migrations 20261204_0900 and 20261204_1300) against the exact scan, on a few
 * hundred tips with known durations, with the histogram path forced (histogramAbove 0) and the
 * exact one forced (Infinity): every count and deadline share equal, medians and p90 within the
 * stated error, unfiltered and filtered by channel, category or both.
 */

let t: TestApp;
const db = () => t.database.db;
const S = 1000;
const H = 3_600 * S;
const D = 24 * H;
const NOW = new Date('2026-11-20T12:00:00+08:00');
const RANGE: StatsFilter = { from: '2026-10-01', to: '2026-11-30' };
/** now − the default 30-day feedback window: acknowledgements on either side of it. */
const CUT = NOW.getTime() - 30 * D;

type Tip = { created: number; ack: number | null; due: number; fb: number | null; severity: 'critical' | 'normal' };

/** Spread durations (seconds to days), every tenth tip critical, two in five with a first feedback, some never acknowledged. */
function regularTips(): Tip[] {
  const tips: Tip[] = [];
  for (let i = 0; i < 300; i++) {
    const created = Date.parse('2026-10-01T00:00:00+08:00') + (i % 49) * D + ((i * 7919) % 86_400) * S;
    const severity = i % 10 === 0 ? 'critical' : 'normal';
    const ack = i % 23 === 7 ? null : created + (1 + ((i * 104_729) % 40_000)) * S + (i % 7);
    const fb = ack !== null && i % 5 < 2 ? ack + ((i * 15_485_863) % (35 * 86_400)) * S : null;
    tips.push({ created, ack, due: created + (severity === 'critical' ? H : D), fb, severity });
  }
  return tips;
}

/** The boundaries: a feedback exactly 30 and exactly 7 days after acknowledgement, and the cases around now and now − 30 days. */
function edgeTips(): Tip[] {
  const created = Date.parse('2026-10-10T09:00:00+08:00');
  const ack = created + 2 * H;
  const tip = (t: Partial<Tip>): Tip => ({ created, ack, due: created + D, fb: null, severity: 'normal', ...t });
  return [
    tip({ fb: ack + 30 * D }),
    tip({ fb: ack + 30 * D + 1 }),
    tip({ fb: ack + 7 * D }),
    tip({ fb: ack + 7 * D + 1 }),
    // Acknowledged without feedback on the day now − 30 days falls in, just before and after it, and the day after.
    tip({ created: CUT - 5 * H, ack: CUT - 1 }),
    tip({ created: CUT - 5 * H, ack: CUT + 1 }),
    tip({ created: CUT - 5 * H, ack: CUT + D }),
    // Never acknowledged: one past its deadline, one (and a critical one) still within it.
    tip({ created: NOW.getTime() - 2 * D, ack: null, due: NOW.getTime() - D }),
    tip({ created: NOW.getTime() - H / 2, ack: null, due: NOW.getTime() + D }),
    tip({ created: NOW.getTime() - H / 2, ack: null, due: NOW.getTime() + H / 2, severity: 'critical' }),
  ];
}

async function insertTips(tips: Tip[]): Promise<void> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const rows = tips.map((x, i) => ({ i, created: iso(x.created), ack: iso(x.ack), due: iso(x.due), fb: iso(x.fb), severity: x.severity }));
  await sql`
    insert into reports (id, case_number, channel, status, severity, categories, province, payload_sealed, reporter_public_key,
      created_at, updated_at, acknowledged_at, triage_due_at, feedback_due_at, first_feedback_at, referral_status)
    select gen_random_uuid(), 'PG-H' || lpad(s.i::text, 6, '0'), case when s.i % 4 = 0 then 'employee' else 'public' end,
      case when s.ack is null then 'new' else 'in_review' end, s.severity,
      case s.i % 3 when 0 then array['drugs'] when 1 then array['firearms'] else array['drugs', 'explosives'] end, 'GD', decode('ab', 'hex'), decode('cd', 'hex'), s.created, s.created, s.ack, s.due, s.created + interval '30 days', s.fb,
      case when s.i % 11 = 0 then 'referred' end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as s(i int, created timestamptz, ack timestamptz, due timestamptz, fb timestamptz, severity text)`.execute(db());
}

beforeAll(async () => {
  t = await createTestApp();
  await insertTips([...regularTips(), ...edgeTips()]);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

type Filter = Pick<StatsFilter, 'channel' | 'category'>;
const load = (histogramAbove: number, policy: SlaPolicy = DEFAULT_SLA_POLICY, filter: Filter = {}) =>
  loadStatistics(db(), { ...RANGE, ...filter }, policy, NOW, { histogramAbove });

const COUNTS = ['total', 'crit_n', 'crit_ok', 'crit_due', 'ack_n', 'ack_ok', 'ack_due', 'fb_n', 'fb_ok', 'fb_due', 'referred'] as const;
const counts = (x: TimingRow) => Object.fromEntries(COUNTS.map((k) => [k, x[k]]));

/** Counts equal, every median and p90 within the stated relative error of percentile_cont's. */
async function expectHistogramMatchesExact(policy: SlaPolicy = DEFAULT_SLA_POLICY, filter: Filter = {}): Promise<{ exact: TimingRow; estimated: TimingRow }> {
  const exact = (await load(Infinity, policy, filter)).timings;
  const estimated = (await load(0, policy, filter)).timings;
  expect(exact.estimated).toBe(false);
  expect(estimated.estimated).toBe(true);
  expect(counts(estimated)).toEqual(counts(exact));
  for (const k of ['crit_median', 'crit_p90', 'ack_median', 'ack_p90', 'fb_median', 'fb_p90'] as const) {
    expect(exact[k], k).toBeGreaterThan(1);
    expect(Math.abs(estimated[k]! - exact[k]!) / exact[k]!, k).toBeLessThanOrEqual(MAX_RELATIVE_ERROR);
  }
  return { exact, estimated };
}

describe('timing figures from the roll-up', () => {
  it('equal the exact counts, with medians and p90 within the stated error', async () => {
    const { exact } = await expectHistogramMatchesExact();
    // Both paths also agree with the fixture itself, counted here tip by tip.
    const tips = [...regularTips(), ...edgeTips()];
    const late = (severity: Tip['severity']) => tips.filter((x) => x.severity === severity && x.ack === null && x.due < NOW.getTime()).length;
    expect(exact.total).toBe(310);
    expect([exact.crit_due - exact.crit_n, exact.ack_due - exact.ack_n]).toEqual([late('critical'), late('normal')]);
    expect(exact.fb_due).toBe(tips.filter((x) => x.fb !== null || (x.ack !== null && x.ack + 30 * D < NOW.getTime())).length);
    expect(exact.fb_ok).toBe(tips.filter((x) => x.fb !== null && x.ack !== null && x.fb - x.ack <= 30 * D).length);
    expect(MAX_RELATIVE_ERROR).toBeLessThan(0.022);
  });

  it('counts a first feedback exactly at the end of the window as met, for any whole number of days', async () => {
    const window = (days: number) => ({ ...DEFAULT_SLA_POLICY, feedbackDays: days });
    const at7 = await expectHistogramMatchesExact(window(7));
    const at30 = await expectHistogramMatchesExact(window(30));
    for (const days of [1, 2, 29, 31, 89, 90]) await expectHistogramMatchesExact(window(days));
    expect(at7.estimated.fb_ok).toBeLessThan(at30.estimated.fb_ok);
    // The bucket edges themselves: 7 days belongs to the bucket that ends there, a microsecond more to the next.
    const seven = 7 * 86_400;
    const { rows } = await sql<{ at: number; over: number }>`
      select ${durationBucket(sql`${seven}::float8`)} as at, ${durationBucket(sql`${seven}::float8 + 0.000001`)} as over`.execute(db());
    expect(Number(rows[0]!.at)).toBe(bucketEndingAt(seven));
    expect(Number(rows[0]!.over)).toBe(bucketEndingAt(seven)! + 1);
  });

  it('follows a change to a report after the refresh', async () => {
    const before = (await load(0)).timings;
    const { id, acknowledged_at: ack } = await db().selectFrom('reports').select(['id', 'acknowledged_at'])
      .where('first_feedback_at', 'is', null).where('acknowledged_at', '<', new Date(CUT)).orderBy('case_number').limit(1).executeTakeFirstOrThrow();
    await db().updateTable('reports').set({ first_feedback_at: new Date(ack!.getTime() + 3 * D) }).where('id', '=', id).execute();
    const { estimated } = await expectHistogramMatchesExact();
    expect(estimated.fb_n).toBe(before.fb_n + 1);
    expect(estimated.fb_ok).toBe(before.fb_ok + 1);
    expect(estimated.fb_due).toBe(before.fb_due);
    await db().updateTable('reports').set({ acknowledged_at: new Date(NOW.getTime() - H), status: 'in_review' }).where('case_number', '=', 'PG-H000007').execute();
    const after = await expectHistogramMatchesExact();
    expect(after.estimated.ack_n).toBe(before.ack_n + 1);
  });

  it('filtered by channel, category or both: the same counts, within the same error, following a reclassified tip', async () => {
    const filters: Filter[] = [{ channel: 'employee' }, { channel: 'public' }, { category: 'drugs' }, { category: 'explosives' }, { channel: 'employee', category: 'firearms' }];
    const totals: number[] = [];
    for (const filter of filters) totals.push((await expectHistogramMatchesExact(DEFAULT_SLA_POLICY, filter)).exact.total);
    // The fixture's own split: 78 employee tips of 310, a tip counted once in each of its categories.
    expect(totals).toEqual([78, 232, 207, 103, 26]);
    const before = (await load(0, DEFAULT_SLA_POLICY, { category: 'firearms' })).timings.total;
    await db().updateTable('reports').set({ categories: ['firearms'], channel: 'employee' }).where('case_number', '=', 'PG-H000002').execute();
    const moved = await expectHistogramMatchesExact(DEFAULT_SLA_POLICY, { category: 'firearms', channel: 'employee' });
    expect(moved.exact.total).toBe(27);
    expect((await load(0, DEFAULT_SLA_POLICY, { category: 'firearms' })).timings.total).toBe(before + 1);
    for (const filter of filters) await expectHistogramMatchesExact(DEFAULT_SLA_POLICY, filter);
  });

  it('is used only without a province filter and above the threshold, and the page says so in both languages', async () => {
    expect((await loadStatistics(db(), { ...RANGE, province: 'GD' }, DEFAULT_SLA_POLICY, NOW, { histogramAbove: 0 })).timings.estimated).toBe(false);
    expect((await load(0, DEFAULT_SLA_POLICY, { channel: 'employee' })).timings.estimated).toBe(true);
    expect((await load(310)).timings.estimated).toBe(false);
    expect((await load(309)).timings.estimated).toBe(true);
    const note = (locale: 'en' | 'zh-CN', data: Awaited<ReturnType<typeof load>>) => presentStatistics(locale, data, 5).find((x) => x.id === 'timings')!.note;
    const estimated = await load(0);
    expect(note('zh-CN', estimated)).toContain('按直方图估算，误差不超过 2.2%');
    expect(note('en', estimated)).toContain('within 2.2%');
    expect(note('en', estimated)).not.toMatch(/\btips?\b/i);
    expect(note('en', await load(Infinity))).toBeUndefined();
    // The CSV export carries the note on a line of its own under the table's title.
    const csv = statsCsv(presentStatistics('zh-CN', estimated, 5), ['table', 'row', 'column', 'value']);
    const title = presentStatistics('zh-CN', estimated, 5).find((x) => x.id === 'timings')!.title;
    expect(csv).toContain(`${title},,,${note('zh-CN', estimated)}`);
  });
});
