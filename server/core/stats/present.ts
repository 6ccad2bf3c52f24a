import { t, type Locale } from '../i18n/index.js';
import { CATEGORY_CODES } from '../intake/taxonomy.js';
import { REFERRAL_CHANNEL_ORDER } from './labels.js';
import { REPORT_CHANNELS, REPORT_OUTCOMES } from '../reports/lifecycle.js';
import { OUTER_ACK_MS, OUTER_FIRST_FEEDBACK_MS } from '../queue/sla.js';
import { countCell, hoursCell, percentCell, plainCell, type Cell } from './suppress.js';
import { dayStart, shiftDay } from './schema.js';
import type { StatsData } from './service.js';
import { ERROR_PERCENT } from './histogram.js';

/**
 * The statistics as labelled tables: one model for the page, the monthly report, the charts
 * and both exports, so a figure suppressed in one is suppressed in all. Every count passes
 * through suppress.ts here and nowhere else.
 */
export type ChartKind = 'stacked' | 'grouped' | 'hbar';
export type StatsRow = { readonly label: string; readonly cells: readonly Cell[] };
export type StatsTable = {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Header of the first (row label) column, then one per cell. */
  readonly corner: string;
  readonly columns: readonly string[];
  readonly rows: readonly StatsRow[];
  /** Series are the columns (all, or those listed), categories the row labels. */
  readonly chart?: { readonly kind: ChartKind; readonly columns?: readonly number[]; readonly unit?: string };
  /** How the figures were obtained, when the reader should know (estimated medians). */
  readonly note?: string;
};

const AGE_BUCKETS = ['lt1d', 'd1to7', 'd7to30', 'd30to90', 'ge90d'] as const;

export function presentStatistics(locale: Locale, data: StatsData, min: number): StatsTable[] {
  const tr = (key: string, vars?: Record<string, unknown>) => t(locale, key, vars);
  const weeks = weeksOf(data.filter.from, data.filter.to);
  return [
    keyFigures(tr, data, min),
    weekly(tr, 'weeklyChannel', weeks, data.weeklyByChannel, [...REPORT_CHANNELS], (c) => tr(`review.channel.${c}`), min),
    weekly(tr, 'weeklyCategory', weeks, data.weeklyByCategory, CATEGORY_CODES.filter((c) => data.weeklyByCategory.some((w) => w.key === c)), (c) => tr(`taxonomy.${c}.name`), min),
    {
      id: 'province',
      ...heading(tr, 'province'),
      corner: tr('stats.columns.province'),
      columns: [tr('stats.columns.tips')],
      rows: data.byProvince.map((p) => ({ label: p.key ? tr(`intake.provinces.${p.key}`) : tr('stats.unknownProvince'), cells: [countCell(p.n, min)] })),
      chart: { kind: 'hbar' },
    },
    timings(tr, data, min),
    {
      id: 'backlog',
      ...heading(tr, 'backlog'),
      corner: tr('stats.columns.age'),
      columns: [tr('stats.columns.openCases')],
      rows: AGE_BUCKETS.map((b, i) => ({ label: tr(`stats.age.${b}`), cells: [countCell(data.backlog.find((x) => x.bucket === i)?.n ?? 0, min)] })),
      chart: { kind: 'grouped' },
    },
    {
      id: 'outcomes',
      ...heading(tr, 'outcomes'),
      corner: tr('stats.columns.outcome'),
      columns: [tr('stats.columns.tips')],
      rows: [
        ...REFERRAL_CHANNEL_ORDER.map((c) => ({ label: tr('stats.referredTo', { where: tr(`referral.channels.${c}`) }), cells: [countCell(data.referrals.find((r) => r.key === c)?.n ?? 0, min)] })),
        ...REPORT_OUTCOMES.map((o) => ({ label: tr('stats.closedAs', { outcome: tr(`review.outcome.${o}`) }), cells: [countCell(data.outcomes.find((r) => r.key === o)?.n ?? 0, min)] })),
      ],
      chart: { kind: 'hbar' },
    },
    identity(tr, data, min),
    participation(tr, data, min),
  ];
}

type Tr = (key: string, vars?: Record<string, unknown>) => string;

function heading(tr: Tr, id: string) {
  return { title: tr(`stats.tables.${id}.title`), description: tr(`stats.tables.${id}.description`) };
}

function keyFigures(tr: Tr, data: StatsData, min: number): StatsTable {
  const total = data.timings.total;
  const byChannel = (c: string) => data.weeklyByChannel.filter((w) => w.key === c).reduce((sum, w) => sum + w.n, 0);
  return {
    id: 'summary',
    ...heading(tr, 'summary'),
    corner: tr('stats.columns.figure'),
    columns: [tr('stats.columns.value')],
    rows: [
      { label: tr('stats.figures.total'), cells: [countCell(total, min)] },
      ...REPORT_CHANNELS.map((c) => ({ label: tr('stats.figures.channel', { channel: tr(`review.channel.${c}`) }), cells: [countCell(byChannel(c), min)] })),
      { label: tr('stats.figures.referred'), cells: [countCell(data.timings.referred, min)] },
      { label: tr('stats.figures.referralRate'), cells: [percentCell(data.timings.referred, total, min)] },
    ],
  };
}

function weekly(tr: Tr, id: string, weeks: string[], counts: { week: string; key: string; n: number }[], keys: string[], label: (k: string) => string, min: number): StatsTable {
  const lookup = new Map(counts.map((c) => [`${c.week}|${c.key}`, c.n]));
  return {
    id,
    ...heading(tr, id),
    corner: tr('stats.columns.week'),
    columns: keys.map(label),
    rows: weeks.map((w) => ({ label: w, cells: keys.map((k) => countCell(lookup.get(`${w}|${k}`) ?? 0, min)) })),
    // The chart stacks the largest series only (a stack of twenty colours is unreadable); the table has them all.
    chart: { kind: 'stacked', columns: largest(keys, counts, CHART_SERIES) },
  };
}

const CHART_SERIES = 6;

/** Indexes of the `n` keys with the largest totals, in their original order. */
function largest(keys: string[], counts: { key: string; n: number }[], n: number): number[] {
  const total = (k: string) => counts.filter((c) => c.key === k).reduce((s, c) => s + c.n, 0);
  const ranked = keys.map((k, i) => ({ i, n: total(k) })).sort((a, b) => b.n - a.n).slice(0, n);
  return ranked.map((r) => r.i).sort((a, b) => a - b);
}

function timings(tr: Tr, data: StatsData, min: number): StatsTable {
  const x = data.timings;
  const p = data.policy;
  const capHours = (ms: number) => ms / 3_600_000;
  const deadlines = {
    triage: Math.min(p.criticalTriageMinutes / 60, capHours(OUTER_ACK_MS)),
    ack: Math.min(p.ackHours, capHours(OUTER_ACK_MS)),
    feedback: Math.min(p.feedbackDays * 24, capHours(OUTER_FIRST_FEEDBACK_MS)),
  };
  const row = (key: keyof typeof deadlines, n: number, median: number | null, p90: number | null, ok: number, due: number): StatsRow => ({
    label: tr(`stats.timings.${key}`),
    cells: [countCell(n, min), hoursCell(median, n, min), hoursCell(p90, n, min), plainCell(deadlines[key], 1), percentCell(ok, due, min)],
  });
  return {
    id: 'timings',
    ...heading(tr, 'timings'),
    corner: tr('stats.columns.step'),
    columns: [tr('stats.columns.measured'), tr('stats.columns.median'), tr('stats.columns.p90'), tr('stats.columns.deadline'), tr('stats.columns.compliance')],
    rows: [
      row('triage', x.crit_n, x.crit_median, x.crit_p90, x.crit_ok, x.crit_due),
      row('ack', x.ack_n, x.ack_median, x.ack_p90, x.ack_ok, x.ack_due),
      row('feedback', x.fb_n, x.fb_median, x.fb_p90, x.fb_ok, x.fb_due),
    ],
    chart: { kind: 'grouped', columns: [1, 2, 3], unit: tr('stats.hours') },
    note: x.estimated ? tr('stats.timings.estimated', { error: ERROR_PERCENT.toFixed(1) }) : undefined,
  };
}

function identity(tr: Tr, data: StatsData, min: number): StatsTable {
  const n = (s: string) => data.identityRequests.find((r) => r.key === s)?.n ?? 0;
  const made = data.identityRequests.reduce((sum, r) => sum + r.n, 0);
  return {
    id: 'identity',
    ...heading(tr, 'identity'),
    corner: tr('stats.columns.figure'),
    columns: [tr('stats.columns.value')],
    rows: [
      { label: tr('stats.identity.made'), cells: [countCell(made, min)] },
      { label: tr('stats.identity.approved'), cells: [countCell(n('approved'), min)] },
      { label: tr('stats.identity.denied'), cells: [countCell(n('denied'), min)] },
      { label: tr('stats.identity.pending'), cells: [countCell(n('pending'), min)] },
    ],
  };
}

/**
 * A company is named only when one of its figures reaches the threshold; the others are pooled
 * into one row, itself suppressed where small. Every cell is suppressed below the threshold.
 */
function participation(tr: Tr, data: StatsData, min: number): StatsTable {
  const named = (c: StatsData['participation'][number]) => c.employees >= min || c.credits >= min;
  const cells = (c: { employees: number; outlets: number; credits: number }) => [countCell(c.employees, min), countCell(c.outlets, min), countCell(c.credits, min)];
  const rows: StatsRow[] = data.participation.filter(named).map((c) => ({ label: c.company, cells: cells(c) }));
  const pooled = data.participation.filter((c) => !named(c));
  if (pooled.length) {
    const sum = (k: 'employees' | 'outlets' | 'credits') => pooled.reduce((s, c) => s + c[k], 0);
    rows.push({ label: tr('stats.otherCompanies'), cells: cells({ employees: sum('employees'), outlets: sum('outlets'), credits: sum('credits') }) });
  }
  return {
    id: 'participation',
    ...heading(tr, 'participation'),
    corner: tr('stats.columns.company'),
    columns: [tr('stats.columns.employees'), tr('stats.columns.outlets'), tr('stats.columns.credits')],
    rows,
    chart: rows.length ? { kind: 'hbar', columns: [0, 2] } : undefined,
  };
}

/** Monday of every Beijing week the range touches, YYYY-MM-DD, as the queries label weeks. */
export function weeksOf(from: string, to: string): string[] {
  const weeks: string[] = [];
  const first = new Date(`${from}T00:00:00Z`);
  const monday = shiftDay(from, -((first.getUTCDay() + 6) % 7));
  for (let w = monday; dayStart(w) <= dayStart(to); w = shiftDay(w, 7)) weeks.push(w);
  return weeks;
}
