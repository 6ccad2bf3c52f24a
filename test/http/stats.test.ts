import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signedIn, type Actor } from './case-fixtures.js';
import { buildStatsFixture, STATS_CANARY } from './stats-fixture.js';
import { loadStatistics } from '../../server/core/stats/service.js';
import { presentStatistics, type StatsTable } from '../../server/core/stats/present.js';
import { DEFAULT_SLA_POLICY } from '../../server/core/queue/sla.js';

/**
 * Statistics against the hand-computed fixture of stats-fixture.ts (threshold 5): the figures,
 * small-cell suppression at the threshold, the page with inline SVG charts, the exports (no word
 * a reporter typed, audited, XLSX readable) and the monthly report.
 */

let t: TestApp;
let reviewer: Actor;
const NOVEMBER = 'from=2026-11-01&to=2026-11-30';

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t);
  await buildStatsFixture(t, reviewer.staff.id);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

function cellText(tables: StatsTable[], id: string, row: string, column = 0): string {
  const table = tables.find((x) => x.id === id)!;
  const found = table.rows.find((r) => r.label === row);
  if (!found) throw new Error(`${id}: no row ${row} among ${table.rows.map((r) => r.label).join(', ')}`);
  return found.cells[column]!.text;
}

describe('figures against the hand-computed fixture', () => {
  let tables: StatsTable[];
  beforeAll(async () => {
    const data = await loadStatistics(t.database.db, { from: '2026-11-01', to: '2026-11-30' }, DEFAULT_SLA_POLICY, new Date('2026-11-20T12:00:00+08:00'));
    tables = presentStatistics('en', data, 5);
  });

  it('counts tips per week by channel and suppresses the 4 employee tips but shows 5 public ones', () => {
    expect(cellText(tables, 'weeklyChannel', '2026-11-02', 0)).toBe('6');
    expect(cellText(tables, 'weeklyChannel', '2026-11-02', 1)).toBe('0');
    expect(cellText(tables, 'weeklyChannel', '2026-11-09', 0)).toBe('5');
    expect(cellText(tables, 'weeklyChannel', '2026-11-09', 1)).toBe('<5');
    expect(tables.find((x) => x.id === 'weeklyChannel')!.rows.find((r) => r.label === '2026-11-09')!.cells[1]!.value).toBeNull();
  });

  it('counts key figures, categories and provinces', () => {
    expect(cellText(tables, 'summary', 'Reports received')).toBe('15');
    expect(cellText(tables, 'summary', 'of which: Anonymous public')).toBe('11');
    expect(cellText(tables, 'summary', 'of which: Delivery staff')).toBe('<5');
    expect(cellText(tables, 'summary', 'Referral rate')).toBe('33.3%');
    const weeklyCategory = tables.find((x) => x.id === 'weeklyCategory')!;
    expect(weeklyCategory.columns).toHaveLength(2);
    expect(weeklyCategory.rows.find((r) => r.label === '2026-11-09')!.cells.map((c) => c.text)).toEqual(['0', '9']);
    expect(cellText(tables, 'province', 'Guangdong')).toBe('6');
    expect(cellText(tables, 'province', 'Beijing')).toBe('9');
  });

  it('computes medians, p90 and compliance against the deadlines', () => {
    const timings = tables.find((x) => x.id === 'timings')!;
    expect(timings.rows.map((r) => r.cells.map((c) => c.text))).toEqual([
      ['5', '0.8', '2.2', '1.0', '<5'],
      ['10', '5.5', '9.1', '24.0', '100.0%'],
      ['5', '72.0', '110.4', '720.0', '100.0%'],
    ]);
  });

  it('counts the backlog by age, referrals and outcomes, identity requests', () => {
    expect(cellText(tables, 'backlog', '7 to 30 days')).toBe('6');
    expect(cellText(tables, 'backlog', 'Under 1 day')).toBe('0');
    expect(cellText(tables, 'outcomes', 'Referred: 12339 national security hotline')).toBe('5');
    expect(cellText(tables, 'outcomes', 'Closed: Referred to the competent authority')).toBe('5');
    expect(cellText(tables, 'outcomes', 'Closed: Unfounded')).toBe('<5');
    expect(cellText(tables, 'identity', 'Identity-access requests made')).toBe('6');
    expect(cellText(tables, 'identity', 'approved by a custodian')).toBe('5');
    expect(cellText(tables, 'identity', 'denied')).toBe('<5');
  });

  it('names no company below the threshold, counting employee accounts, outlets and case credits', () => {
    const participation = tables.find((x) => x.id === 'participation')!;
    expect(participation.columns).toEqual(['Employee accounts', 'Outlets taking part', 'Case credits (risks removed)']);
    expect(participation.rows.map((r) => [r.label, ...r.cells.map((c) => c.text)])).toEqual([
      ['顺丰速运', '5', '<5', '5'],
      ['韵达快递', '0', '0', '6'],
      ['Other companies (each below the threshold, pooled)', '<5', '<5', '<5'],
    ]);
  });

  it('counts case credits by their date and on the cases the filters match', async () => {
    const now = new Date('2026-11-20T12:00:00+08:00');
    const credits = async (filter: { from: string; to: string; channel?: 'employee' }) =>
      Object.fromEntries((await loadStatistics(t.database.db, filter, DEFAULT_SLA_POLICY, now)).participation.map((c) => [c.company, c.credits]));
    expect(await credits({ from: '2026-10-01', to: '2026-10-31' })).toEqual({ 顺丰速运: 1, 小件快递: 0 });
    expect(await credits({ from: '2026-10-01', to: '2026-11-30' })).toEqual({ 顺丰速运: 6, 韵达快递: 6, 小件快递: 2 });
    expect(await credits({ from: '2026-11-01', to: '2026-11-30', channel: 'employee' })).toEqual({ 顺丰速运: 0, 小件快递: 0 });
    // At a threshold of 6, 韵达快递's 6 credits are shown; 顺丰速运 (5 and 5) joins the pool.
    const at6 = presentStatistics('en', await loadStatistics(t.database.db, { from: '2026-11-01', to: '2026-11-30' }, DEFAULT_SLA_POLICY, now), 6);
    expect(at6.find((x) => x.id === 'participation')!.rows.map((r) => [r.label, ...r.cells.map((c) => c.text)])).toEqual([
      ['韵达快递', '0', '0', '6'],
      ['Other companies (each below the threshold, pooled)', '7', '<6', '7'],
    ]);
  });

  it('follows the threshold: at 4, the 4 employee tips are shown', async () => {
    const data = await loadStatistics(t.database.db, { from: '2026-11-01', to: '2026-11-30' }, DEFAULT_SLA_POLICY, new Date('2026-11-20T12:00:00+08:00'));
    const at4 = presentStatistics('en', data, 4);
    expect(cellText(at4, 'weeklyChannel', '2026-11-09', 1)).toBe('4');
    expect(cellText(at4, 'summary', 'of which: Delivery staff')).toBe('4');
  });

  it('applies the channel, province and category filters', async () => {
    const now = new Date('2026-11-20T12:00:00+08:00');
    const count = async (extra: Record<string, string>) =>
      (await loadStatistics(t.database.db, { from: '2026-11-01', to: '2026-11-30', ...extra }, DEFAULT_SLA_POLICY, now)).timings.total;
    expect(await count({ channel: 'employee' })).toBe(4);
    expect(await count({ province: 'GD' })).toBe(6);
    expect(await count({ category: 'drugs' })).toBe(9);
    expect(await count({ category: 'firearms' })).toBe(0);
    expect((await loadStatistics(t.database.db, { from: '2026-11-09', to: '2026-11-15' }, DEFAULT_SLA_POLICY, now)).timings.total).toBe(9);
  });

  it('counts identity requests on the cases the filters match, following a reclassified case', async () => {
    const now = new Date('2026-11-20T12:00:00+08:00');
    const requests = async (extra: Record<string, string>) =>
      Object.fromEntries((await loadStatistics(t.database.db, { from: '2026-11-01', to: '2026-11-30', ...extra }, DEFAULT_SLA_POLICY, now)).identityRequests.map((r) => [r.key, r.n]));
    // The 6 requests are on the 6 GD spy-equipment public tips.
    expect(await requests({ province: 'GD' })).toEqual({ approved: 5, denied: 1 });
    expect(await requests({ channel: 'public', category: 'spy_equipment' })).toEqual({ approved: 5, denied: 1 });
    expect(await requests({ province: 'BJ' })).toEqual({});
    expect(await requests({ channel: 'employee' })).toEqual({});
    const [first] = await t.database.db.selectFrom('identity_requests').select('report_id').where('status', '=', 'denied').execute();
    const before = await t.database.db.selectFrom('reports').select(['province', 'categories', 'channel']).where('id', '=', first!.report_id).executeTakeFirstOrThrow();
    try {
      // A reviewer moves the case to another province, category set and channel: its request follows.
      await t.database.db.updateTable('reports').set({ province: 'BJ', categories: ['drugs', 'firearms'], channel: 'employee' }).where('id', '=', first!.report_id).execute();
      expect(await requests({ province: 'BJ', category: 'firearms', channel: 'employee' })).toEqual({ denied: 1 });
      expect(await requests({ province: 'GD' })).toEqual({ approved: 5 });
    } finally {
      await t.database.db.updateTable('reports').set(before).where('id', '=', first!.report_id).execute();
    }
    expect(await requests({ province: 'GD' })).toEqual({ approved: 5, denied: 1 });
    // Every request carries exactly its report's columns.
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from identity_requests i join reports r on r.id = i.report_id
      where (i.channel, i.province, i.categories) is distinct from (r.channel, r.province, r.categories)`.execute(t.database.db);
    expect(rows[0]!.n).toBe(0);
  });
});

describe('/staff/stats', () => {
  it('shows inline SVG charts with titles, descriptions and data tables, and no reporter text', async () => {
    const res = await reviewer.agent.get(`/staff/stats?${NOVEMBER}`);
    expect(res.status).toBe(200);
    const svgs = res.text.match(/<svg role="img" aria-labelledby="chart-[a-z]+-title" aria-describedby="chart-[a-z]+-desc"/gi) ?? [];
    expect(svgs.length).toBeGreaterThanOrEqual(6);
    expect(res.text).toContain('<table class="stats-table">');
    // The CSP allows no inline style: none may come with the charts.
    expect(res.text).not.toMatch(/<style|style="/);
    expect(res.text).toContain('&lt;5');
    expect(res.text).not.toContain(STATS_CANARY);
    expect(res.headers['content-security-policy']).toContain("style-src 'self'");
  });

  it('re-renders the form with a message for a bad date range', async () => {
    const res = await reviewer.agent.get('/staff/stats?from=2026-12-01&to=2026-11-01');
    expect(res.status).toBe(400);
    expect(res.text).toContain('s-from');
  });

  it('takes the threshold from the statistics.minimumCell setting', async () => {
    await t.database.db.insertInto('settings').values({ key: 'statistics.minimumCell', value: JSON.stringify(10), updated_at: new Date(), updated_by: null }).execute();
    const { readSettings } = await import('../../server/core/settings/service.js');
    await readSettings(t.ctx, t.database.db, { fresh: true });
    const res = await reviewer.agent.get(`/staff/stats?${NOVEMBER}`);
    expect(res.text).toContain('&lt;10');
    await t.database.db.deleteFrom('settings').where('key', '=', 'statistics.minimumCell').execute();
    await readSettings(t.ctx, t.database.db, { fresh: true });
  });
});

describe('exports', () => {
  const exportsAudited = async () =>
    (await t.database.db.selectFrom('audit_log').select(['details', 'actor_id']).where('event', '=', 'stats.exported').execute());

  it('CSV: the aggregates, suppressed cells as "<5", no word a reporter typed, audited', async () => {
    const before = (await exportsAudited()).length;
    const res = await reviewer.agent.get(`/staff/stats/export.csv?${NOVEMBER}`).set('Accept-Language', 'en').buffer(true);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain('attachment');
    const text = res.text;
    expect(text).toContain('Reports per week by channel,2026-11-09,Delivery staff,<5');
    expect(text).toContain('Reports per week by channel,2026-11-09,Anonymous public,5');
    expect(text).toContain('Participation per courier company,韵达快递,Case credits (risks removed),6');
    expect(text).toContain('Participation per courier company,"Other companies (each below the threshold, pooled)",Case credits (risks removed),<5');
    expect(text).not.toContain(STATS_CANARY);
    expect(text).not.toContain('可疑物品');
    const after = await exportsAudited();
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)!.actor_id).toBe(reviewer.staff.id);
    expect(after.at(-1)!.details).toMatchObject({ format: 'csv', from: '2026-11-01', to: '2026-11-30' });
  });

  it('XLSX opens with exceljs and holds the same figures', async () => {
    const before = (await exportsAudited()).length;
    const res = await reviewer.agent.get(`/staff/stats/export.xlsx?${NOVEMBER}`).set('Accept-Language', 'en').buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.body as ArrayBuffer);
    const sheet = book.worksheets.find((s) => s.name.includes('by channel'))!;
    const rows = sheet.getSheetValues().filter(Boolean).map((r) => (r as unknown[]).slice(1));
    expect(rows).toContainEqual(['2026-11-09', 5, '<5']);
    const companies = book.worksheets.find((s) => s.name.includes('Participation'))!;
    const companyRows = companies.getSheetValues().filter(Boolean).map((r) => (r as unknown[]).slice(1));
    expect(companyRows).toContainEqual(['Courier company', 'Employee accounts', 'Outlets taking part', 'Case credits (risks removed)']);
    expect(companyRows).toContainEqual(['韵达快递', 0, 0, 6]);
    expect(companyRows).toContainEqual(['顺丰速运', 5, '<5', 5]);
    const all = book.worksheets.flatMap((s) => s.getSheetValues().flat().map(String)).join('\n');
    expect(all).not.toContain(STATS_CANARY);
    expect((await exportsAudited()).length).toBe(before + 1);
  });
});

describe('monthly report', () => {
  it('is a printable Chinese page with the organisation name, charts and the same suppression', async () => {
    await t.database.db.insertInto('settings').values({ key: 'organisation.name', value: JSON.stringify('华南寄递安全办公室'), updated_at: new Date(), updated_by: null }).execute();
    const { readSettings } = await import('../../server/core/settings/service.js');
    await readSettings(t.ctx, t.database.db, { fresh: true });
    const res = await reviewer.agent.get('/staff/stats/monthly?month=2026-11').set('Accept-Language', 'en');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<html lang="zh-Hans">');
    expect(res.text).toContain('华南寄递安全办公室');
    expect(res.text).toContain('每周举报数（按渠道）');
    expect(res.text).toContain('/static/css/print.css');
    expect(res.text).toMatch(/<svg role="img"/);
    expect(res.text).toContain('&lt;5');
    expect(res.text).not.toContain(STATS_CANARY);
  });

  it('exports the month as CSV in Chinese, audited with the month', async () => {
    const res = await reviewer.agent.get('/staff/stats/monthly.csv?month=2026-11').buffer(true);
    expect(res.status).toBe(200);
    expect(res.text).toContain('每周举报数（按渠道）,2026-11-09,寄递从业人员');
    const last = await t.database.db.selectFrom('audit_log').select('details').where('event', '=', 'stats.exported').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(last.details).toMatchObject({ format: 'csv', month: '2026-11', from: '2026-11-01', to: '2026-11-30' });
  });

  it('refuses a malformed month with 404', async () => {
    expect((await reviewer.agent.get('/staff/stats/monthly?month=2026-13')).status).toBe(404);
  });
});

export type { TestAgent };
