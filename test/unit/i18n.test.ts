import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCALES, loadCatalogue, negotiateLocale, t, hasKey } from '../../server/core/i18n/index.js';
import { VIEWS_DIR } from '../../server/web/views.js';
import { CATEGORY_CODES, CATEGORY_GROUPS } from '../../server/core/intake/taxonomy.js';
import { REPORT_CHANNELS, REPORT_OUTCOMES, REPORT_STATUSES, SEVERITIES } from '../../server/core/reports/lifecycle.js';
import { QUEUE_STATUSES } from '../../server/core/queue/schema.js';

function walk(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full, ext) : full.endsWith(ext) ? [full] : [];
  });
}

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('translation catalogues', () => {
  const [zh, en] = LOCALES.map(loadCatalogue);

  it('have exactly the same keys in every locale', () => {
    const zhKeys = [...zh!.keys()].sort();
    const enKeys = [...en!.keys()].sort();
    expect(zhKeys.filter((k) => !en!.has(k))).toEqual([]);
    expect(enKeys.filter((k) => !zh!.has(k))).toEqual([]);
    expect(zhKeys.length).toBeGreaterThan(50);
  });

  it('use the same placeholders in both locales and have no empty strings', () => {
    for (const [key, zhText] of zh!) {
      expect(zhText.trim(), key).not.toBe('');
      expect(en!.get(key)!.trim(), key).not.toBe('');
      expect(placeholders(en!.get(key)!), key).toEqual(placeholders(zhText));
    }
  });

  it('cover every literal key used in the views and every taxonomy code', () => {
    const missing: string[] = [];
    for (const file of walk(VIEWS_DIR, '.hbs')) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\{\{\s*t\s+"([^"]+)"/g)) {
        if (!hasKey(m[1]!)) missing.push(`${path.relative(VIEWS_DIR, file)}: ${m[1]}`);
      }
    }
    for (const code of CATEGORY_CODES) {
      for (const part of ['name', 'guidance']) if (!hasKey(`taxonomy.${code}.${part}`)) missing.push(`taxonomy.${code}.${part}`);
    }
    for (const g of CATEGORY_GROUPS) if (!hasKey(`taxonomy.groups.${g.group}`)) missing.push(g.group);
    expect(missing).toEqual([]);
  });

  it('use one Chinese name per concept: no retired form of docs/glossary.md in any zh-CN string', () => {
    // Only forms with no other meaning: 线索, 转交 and 公司 also have legitimate uses in prose.
    const retired = ['审查员', '查询码', '回执编号', '凭证码', '线人', '报告人', '保管员', '管理者', '工单'];
    const offending = [...zh!].filter(([, text]) => retired.some((word) => text.includes(word))).map(([key]) => key);
    expect(offending).toEqual([]);
  });

  it('name every status, outcome, severity and channel of the report lifecycle', () => {
    const keys = [
      ...REPORT_STATUSES.map((s) => `review.status.${s}`),
      ...QUEUE_STATUSES.map((s) => `review.statusFilter.${s}`),
      ...REPORT_OUTCOMES.map((o) => `review.outcome.${o}`),
      ...SEVERITIES.map((s) => `review.severity.${s}`),
      ...REPORT_CHANNELS.map((c) => `review.channel.${c}`),
    ];
    expect(keys.filter((k) => !hasKey(k))).toEqual([]);
  });
});

describe('t()', () => {
  it('interpolates named placeholders and leaves unknown ones visible', () => {
    expect(t('en', 'common.siteName')).toBe('ParcelGuard');
    expect(t('zh-CN', 'common.siteName')).toBe('寄递卫士');
    expect(t('en', 'no.such.key')).toBe('no.such.key');
  });
});

describe('negotiateLocale', () => {
  it.each([
    [undefined, 'zh-CN'],
    ['', 'zh-CN'],
    ['en-US,en;q=0.9', 'en'],
    ['zh-TW,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['fr-FR,en;q=0.5,zh;q=0.4', 'en'],
    ['fr-FR', 'zh-CN'],
    ['en;q=0, zh;q=0.1', 'zh-CN'],
    ['garbage;;;q=abc', 'zh-CN'],
  ])('%s → %s', (header, expected) => {
    expect(negotiateLocale(header)).toBe(expected);
  });
});
