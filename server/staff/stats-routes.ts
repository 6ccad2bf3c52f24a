import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../core/context.js';
import type { Locale } from '../core/i18n/index.js';
import { t } from '../core/i18n/index.js';
import { principalOf, requireStaff } from './guard.js';
import { CATEGORY_GROUPS } from '../core/intake/taxonomy.js';
import { PROVINCE_CODES } from '../core/reports/model.js';
import { REPORT_CHANNELS } from '../core/reports/lifecycle.js';
import { readSettings } from '../core/settings/service.js';
import { slaPolicy } from '../core/queue/sla.js';
import { beijingDay, monthRange, monthSchema, shiftDay, statsQuerySchema, type StatsFilter } from '../core/stats/schema.js';
import { loadStatistics, recordStatsExport, type ExportFormat } from '../core/stats/service.js';
import { presentStatistics, type StatsTable } from '../core/stats/present.js';
import { renderChartSvg } from '../core/stats/charts.js';
import { statsCsv, statsXlsx } from '../core/stats/exports.js';
import { zodFormErrors } from '../web/form-errors.js';
import { NotFoundError } from '../core/errors.js';

/**
 * Statistics: /staff/stats, its exports, and the monthly report. Open to reviewers,
 * admins and analysts; every figure comes from plaintext triage metadata (server/core/stats).
 * Filtering is a GET form: it changes nothing, so a filtered page can be bookmarked.
 */
export function statsRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireStaff(ctx, { analyst: true });

  router.get('/staff/stats', guard, async (req, res) => {
    const parsed = statsQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      res.status(400).render('stats', { layout: 'staff', titleKey: 'stats.title', ...filterOptions, filters: typed(req), errors: zodFormErrors(req.locale, parsed.error, { fallbackKey: 'stats.errors.invalid', idPrefix: 's-' }) });
      return;
    }
    const { tables, min } = await tablesFor(ctx, req.locale, parsed.data);
    const query = filterQuery(parsed.data);
    res.render('stats', {
      layout: 'staff',
      titleKey: 'stats.title',
      ...filterOptions,
      filters: parsed.data,
      min,
      sections: await withCharts(tables),
      csvHref: `/staff/stats/export.csv?${query}`,
      xlsxHref: `/staff/stats/export.xlsx?${query}`,
      monthlyHref: `/staff/stats/monthly?month=${previousMonth()}`,
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    router.get(`/staff/stats/export.${format}`, guard, async (req, res) => {
      const parsed = statsQuerySchema.safeParse(req.query);
      if (!parsed.success) throw new NotFoundError();
      await sendExport(ctx, req, res, format, parsed.data, null);
    });
    router.get(`/staff/stats/monthly.${format}`, guard, async (req, res) => {
      const month = monthSchema.safeParse(req.query.month);
      if (!month.success) throw new NotFoundError();
      await sendExport(ctx, req, res, format, monthRange(month.data), month.data);
    });
  }

  // Always in Chinese: the report goes to the postal regulator or the security department.
  router.get('/staff/stats/monthly', guard, async (req, res) => {
    const month = monthSchema.safeParse(req.query.month ?? previousMonth());
    if (!month.success) throw new NotFoundError();
    const { tables, min, organisation } = await tablesFor(ctx, 'zh-CN', monthRange(month.data));
    res.render('stats-monthly', {
      layout: false,
      locale: 'zh-CN',
      htmlLang: 'zh-Hans',
      month: month.data,
      range: monthRange(month.data),
      organisation,
      min,
      generatedOn: beijingDay(new Date()),
      sections: await withCharts(tables),
      csvHref: `/staff/stats/monthly.csv?month=${month.data}`,
      xlsxHref: `/staff/stats/monthly.xlsx?month=${month.data}`,
    });
  });

  return router;
}

async function tablesFor(ctx: AppContext, locale: Locale, filter: StatsFilter) {
  const settings = await readSettings(ctx);
  const data = await loadStatistics(ctx.database.db, filter, slaPolicy(settings));
  const min = settings['statistics.minimumCell'];
  return { tables: presentStatistics(locale, data, min), min, organisation: settings['organisation.name'] };
}

/** Audits the export first: a file that reached the browser is one the log knows of. */
async function sendExport(ctx: AppContext, req: Request, res: Response, format: ExportFormat, filter: StatsFilter, month: string | null) {
  const locale: Locale = month ? 'zh-CN' : req.locale;
  const { tables, organisation } = await tablesFor(ctx, locale, filter);
  await recordStatsExport(ctx.database.db, principalOf(req).id, format, filter, month);
  const name = `parcelguard-stats-${month ?? `${filter.from}_${filter.to}`}.${format}`;
  res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
  if (format === 'csv') {
    const tr = (k: string) => t(locale, k);
    res.type('text/csv; charset=utf-8').send(statsCsv(tables, [tr('stats.csv.table'), tr('stats.csv.row'), tr('stats.csv.column'), tr('stats.csv.value')]));
    return;
  }
  const lines = [
    t(locale, 'stats.export.range', { from: filter.from, to: filter.to }),
    ...(organisation ? [t(locale, 'stats.export.organisation', { name: organisation })] : []),
    t(locale, 'stats.export.suppression'),
  ];
  const body = await statsXlsx(tables, { title: t(locale, month ? 'stats.monthly.title' : 'stats.title'), lines });
  res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(body);
}

const filterOptions = { channels: REPORT_CHANNELS, categoryGroups: CATEGORY_GROUPS, provinces: PROVINCE_CODES };

async function withCharts(tables: readonly StatsTable[]) {
  const sections = [];
  for (const table of tables) {
    const ids = { title: `chart-${table.id}-title`, desc: `chart-${table.id}-desc` };
    sections.push({ ...table, ids, svg: await renderChartSvg(table, ids) });
  }
  return sections;
}

function filterQuery(f: StatsFilter): string {
  const q = new URLSearchParams({ from: f.from, to: f.to });
  if (f.channel) q.set('channel', f.channel);
  if (f.province) q.set('province', f.province);
  if (f.category) q.set('category', f.category);
  return q.toString();
}

/** The query string as typed, for re-filling the form after an error (plaintext metadata only). */
function typed(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['from', 'to', 'channel', 'province', 'category']) {
    const v = req.query[key];
    if (typeof v === 'string') out[key] = v.slice(0, 20);
  }
  return out;
}

function previousMonth(): string {
  const today = beijingDay(new Date());
  return shiftDay(`${today.slice(0, 7)}-01`, -1).slice(0, 7);
}
