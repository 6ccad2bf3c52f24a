import type { HelperOptions } from 'handlebars';
import { t as translate, type Locale } from '../../core/i18n/index.js';

/**
 * {{t "area.key" name=value}} — translated text for the page's locale, HTML-escaped by Handlebars.
 * A key can also be computed: {{t (concat "taxonomy." code ".name")}}.
 */
export default function t(key: string, options: HelperOptions): string {
  const locale = (options.data?.root?.locale ?? 'zh-CN') as Locale;
  return translate(locale, key, options.hash);
}
