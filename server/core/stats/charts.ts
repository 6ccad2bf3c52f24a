import type { StatsTable } from './present.js';

/**
 * Charts drawn on the server as inline SVG with Apache ECharts' server-side renderer, so they are
 * readable without JavaScript and print as vectors. ECharts is loaded on first use, not at start.
 *
 * The page's CSP allows no inline style (style-src 'self'), and ECharts writes `style="font-…"`
 * attributes and a <style> block of hover rules. The block is dropped (hover means nothing here)
 * and each style attribute becomes the equivalent SVG presentation attributes, which CSP allows.
 *
 * Drawing costs tens of milliseconds per chart, so each SVG is kept by a digest of everything it
 * is drawn from (labels, values, ids): the same figures are drawn once, changed figures are a new
 * key, and nothing stale can be served. Aggregates only, never per-report data, are in the cache.
 */
import { createHash } from 'node:crypto';

type ECharts = typeof import('echarts');
let loading: Promise<ECharts> | null = null;
function echarts(): Promise<ECharts> {
  loading ??= import('echarts');
  return loading;
}

const WIDTH = 760;
const PALETTE = ['#1f4e8c', '#d9822b', '#2e8540', '#8c1f4e', '#6b5b95', '#3b8ea5', '#b5651d', '#5c6f2b', '#a83232', '#4a4a4a'];

export async function renderChartSvg(table: StatsTable, ids: { title: string; desc: string }): Promise<string | null> {
  const chart = table.chart;
  if (!chart || table.rows.length === 0) return null;
  const columns = chart.columns ?? table.columns.map((_c, i) => i);
  const categories = table.rows.map((r) => r.label);
  const height = chart.kind === 'hbar' ? Math.max(160, 60 + categories.length * 24) : 320;
  const series: Series[] = columns.map((col) => ({
    name: table.columns[col]!,
    type: 'bar',
    stack: chart.kind === 'stacked' ? 'total' : undefined,
    data: table.rows.map((r) => r.cells[col]!.value),
  }));
  const key = createHash('sha256').update(JSON.stringify([chart, categories, series, ids, height])).digest('base64');
  const cached = cache.get(key);
  if (cached !== undefined) {
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const svg = await draw(chart, categories, series, height, ids);
  cache.set(key, svg);
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return svg;
}

const CACHE_ENTRIES = 256;
const cache = new Map<string, string>();

/** For the benchmark: forget every drawn chart, so the next page draws them all. */
export function clearChartCache(): void {
  cache.clear();
}

type Series = { name: string; type: 'bar'; stack: string | undefined; data: (number | null)[] };

async function draw(chart: NonNullable<StatsTable['chart']>, categories: string[], series: Series[], height: number, ids: { title: string; desc: string }): Promise<string> {
  const horizontal = chart.kind === 'hbar';
  const { init } = await echarts();
  const instance = init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  try {
    const categoryAxis = { type: 'category' as const, data: categories, axisLabel: { interval: 0, rotate: horizontal ? 0 : categories.length > 8 ? 45 : 0, fontSize: 11 } };
    const valueAxis = { type: 'value' as const, name: chart.unit, minInterval: chart.unit ? undefined : 1 };
    instance.setOption({
      animation: false,
      color: PALETTE,
      textStyle: { fontFamily: 'sans-serif' },
      legend: series.length > 1 ? { bottom: 0, type: 'plain' } : undefined,
      grid: { left: horizontal ? 160 : 50, right: 24, top: 24, bottom: series.length > 1 ? 70 : 50, containLabel: false },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? { ...categoryAxis, inverse: true } : valueAxis,
      series,
    });
    return cspSafe(instance.renderToSVGString(), ids);
  } finally {
    instance.dispose();
  }
}

const STYLE_PROPERTIES = new Set(['font-size', 'font-family', 'font-weight', 'font-style', 'fill', 'stroke', 'opacity']);

function cspSafe(svg: string, ids: { title: string; desc: string }): string {
  return svg
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/ style="([^"]*)"/g, (_whole, css: string) =>
      css
        .split(';')
        .map((decl) => decl.split(':').map((s) => s.trim()))
        .filter(([prop, value]) => prop && value && STYLE_PROPERTIES.has(prop))
        .map(([prop, value]) => ` ${prop}="${value!.replace(/"/g, '&quot;')}"`)
        .join(''),
    )
    .replace(/ (ecmeta_[a-z_]+|class)="[^"]*"/g, '')
    .replace(/^<svg /, `<svg role="img" aria-labelledby="${ids.title}" aria-describedby="${ids.desc}" focusable="false" `);
}
