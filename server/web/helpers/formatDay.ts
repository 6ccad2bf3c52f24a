import type { HelperOptions } from 'handlebars';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** {{formatDay date}} — the date alone, Beijing time: for values kept only to the day (reporter activity). */
export default function formatDay(value: unknown, options: HelperOptions): string {
  if (!value) return '';
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) return '';
  const locale = options.data?.root?.locale === 'en' ? 'en-GB' : 'zh-CN';
  let formatter = formatters.get(locale);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'Asia/Shanghai' });
    formatters.set(locale, formatter);
  }
  return formatter.format(date);
}
