import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../../server/core/i18n/index.js';

/** One name for the receipt (docs/glossary.md): 回执码 in Chinese, "receipt" in English. */
const RETIRED_ZH = ['查询码', '回执编号', '凭证码'];
const RETIRED_EN = /\breceipt[ -](?:code|number)s?\b/i;

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full, ext) : ext.test(name) ? [full] : [];
  });
}

describe('one name for the receipt', () => {
  it('uses no retired Chinese form in any catalogue string, view or document but the glossary', () => {
    const zh = loadCatalogue('zh-CN');
    const offendingKeys = [...zh].filter(([, text]) => RETIRED_ZH.some((w) => text.includes(w))).map(([k]) => k);
    expect(offendingKeys).toEqual([]);
    const texts = [...files('views', /\.hbs$/), ...files('docs', /\.md$/), 'README.md'].filter((f) => !f.endsWith('glossary.md'));
    const offendingFiles = texts.filter((f) => RETIRED_ZH.some((w) => readFileSync(f, 'utf8').includes(w)));
    expect(offendingFiles).toEqual([]);
  });

  it('says "receipt", never "receipt code" or "receipt number", in English', () => {
    const en = loadCatalogue('en');
    expect([...en].filter(([, text]) => RETIRED_EN.test(text)).map(([k]) => k)).toEqual([]);
  });

  it('names the receipt 回执码 wherever a Chinese string speaks of it', () => {
    const zh = loadCatalogue('zh-CN');
    const en = loadCatalogue('en');
    // Every key whose English text speaks of the receipt says 回执码 in Chinese.
    const keys = [...en].filter(([, text]) => /\breceipts?\b/i.test(text)).map(([k]) => k);
    expect(keys.length).toBeGreaterThan(10);
    expect(keys.filter((k) => !zh.get(k)?.includes('回执码'))).toEqual([]);
  });

  it('lists the receipt in the glossary with both names and the retired forms', () => {
    const glossary = readFileSync('docs/glossary.md', 'utf8');
    const row = glossary.split('\n').find((line) => line.includes('`receipt`'));
    expect(row).toBeDefined();
    const cells = row!.split('|').map((c) => c.trim());
    expect(cells).toContain('receipt');
    expect(cells).toContain('回执码');
    for (const w of RETIRED_ZH) expect(row).toContain(w);
  });
});

describe('one name for a report and its case', () => {
  it('never says "tip" in English', () => {
    const en = loadCatalogue('en');
    expect([...en].filter(([, text]) => /\btips?\b/i.test(text)).map(([k]) => k)).toEqual([]);
  });

  it('says 线索 in Chinese, keeping 案件 for what the authorities open (the guide\'s prose about smuggling cases)', () => {
    const zh = loadCatalogue('zh-CN');
    const allowed = new Set(['guide.counter.metals.signs']);
    expect([...zh].filter(([key, text]) => text.includes('案件') && !allowed.has(key)).map(([k]) => k)).toEqual([]);
    // The staff guide uses the same word as the pages it describes.
    expect(readFileSync('docs/zh-CN/staff-guide.md', 'utf8').match(/案件/g) ?? []).toHaveLength(2);
  });
});
