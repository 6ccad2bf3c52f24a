import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectPath } from '../paths.js';

/**
 * Translations live in per-locale folders with one JSON file per area
 * (locales/zh-CN/common.json, locales/en/common.json, …). Keys are namespaced by the file name:
 * `common.siteName`. Both locales must carry exactly the same keys; a test enforces it.
 */

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

export const LOCALES_DIR = projectPath('server', 'core', 'i18n', 'locales');

type Catalogue = ReadonlyMap<string, string>;

function flatten(prefix: string, value: unknown, into: Map<string, string>): void {
  if (typeof value === 'string') {
    into.set(prefix, value);
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, into);
  } else {
    throw new Error(`i18n: ${prefix} must be a string or an object`);
  }
}

export function loadCatalogue(locale: Locale): Catalogue {
  const dir = path.join(LOCALES_DIR, locale);
  const catalogue = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const area = path.basename(file, '.json');
    flatten(area, JSON.parse(readFileSync(path.join(dir, file), 'utf8')), catalogue);
  }
  return catalogue;
}

const catalogues = new Map<Locale, Catalogue>(LOCALES.map((l) => [l, loadCatalogue(l)]));

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

export function hasKey(key: string): boolean {
  return catalogues.get(DEFAULT_LOCALE)!.has(key);
}

/**
 * Translates `key`, replacing `{name}` placeholders with `vars`. A missing key returns the key
 * itself so that a gap is visible on the page instead of crashing it; the parity test and the
 * view tests keep such gaps out of the product.
 */
export function t(locale: Locale, key: string, vars?: Record<string, unknown>): string {
  const template = catalogues.get(locale)?.get(key) ?? catalogues.get(DEFAULT_LOCALE)!.get(key) ?? key;
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole,
  );
}

/** Picks a locale from an Accept-Language header; zh-CN unless English is preferred. */
export function negotiateLocale(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranked = acceptLanguage
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.toLowerCase(), q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .filter((e) => e.tag && e.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return DEFAULT_LOCALE;
}
