import type { HelperOptions } from 'handlebars';

// Building an Intl.DateTimeFormat costs ~0.1 ms; a queue page formats a hundred dates, so keep one per locale.
const formatters = new Map<string, Intl.DateTimeFormat>();

/** {{formatDate date}} — a date and time in the page's locale, Beijing time. */
export default function formatDate(value: unknown, options: HelperOptions): string {
  if (!value) return '';
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) return '';
  const locale = options.data?.root?.locale === 'en' ? 'en-GB' : 'zh-CN';
  let formatter = formatters.get(locale);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Shanghai' });
    formatters.set(locale, formatter);
  }
  return formatter.format(date);
}
