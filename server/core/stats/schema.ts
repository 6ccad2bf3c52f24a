import { z } from 'zod';
import { CATEGORY_CODES } from '../intake/taxonomy.js';
import { PROVINCE_CODES } from '../reports/model.js';
import { REPORT_CHANNELS } from '../reports/lifecycle.js';

/**
 * The statistics filters, from a GET query string: a date range (Beijing days, `to` inclusive),
 * channel, province and category. Only plaintext triage metadata can be filtered on.
 */
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;
/** The longest range one request may cover: about five years of weeks still makes a readable chart. */
const MAX_RANGE_DAYS = 5 * 366;
export const DEFAULT_RANGE_DAYS = 12 * 7;

const optionalChoice = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (v === '' || v === 'all' ? undefined : v), z.enum(values, { error: 'stats.errors.choice' }).optional());
const day = z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(DAY, { error: 'stats.errors.date' }).refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), { error: 'stats.errors.date' }).optional());

export const statsQuerySchema = z
  .object({
    from: day,
    to: day,
    channel: optionalChoice(REPORT_CHANNELS),
    province: optionalChoice(PROVINCE_CODES),
    category: optionalChoice(CATEGORY_CODES as unknown as readonly [string, ...string[]]),
  })
  .transform((q, ctx) => {
    const today = beijingDay(new Date());
    const to = q.to ?? today;
    const from = q.from ?? shiftDay(to, -(DEFAULT_RANGE_DAYS - 1));
    if (from > to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'stats.errors.rangeOrder' });
    else if ((Date.parse(to) - Date.parse(from)) / DAY_MS > MAX_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['from'], message: 'stats.errors.rangeTooLong' });
    return { from, to, channel: q.channel, province: q.province, category: q.category } as StatsFilter;
  });

export const monthSchema = z.string({ error: 'stats.errors.month' }).regex(MONTH, { error: 'stats.errors.month' });

export type StatsFilter = {
  /** First Beijing day in the range, YYYY-MM-DD. */
  readonly from: string;
  /** Last Beijing day in the range (inclusive), YYYY-MM-DD. */
  readonly to: string;
  readonly channel?: (typeof REPORT_CHANNELS)[number];
  readonly province?: string;
  readonly category?: string;
};

/** The instant a Beijing day starts. */
export function dayStart(day: string): Date {
  return new Date(Date.parse(`${day}T00:00:00Z`) - BEIJING_OFFSET_MS);
}

export function beijingDay(at: Date): string {
  return new Date(at.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

export function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The filter covering one calendar month (YYYY-MM). */
export function monthRange(month: string): { from: string; to: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = new Date(Date.UTC(y, m, 1));
  return { from: `${month}-01`, to: shiftDay(next.toISOString().slice(0, 10), -1) };
}
