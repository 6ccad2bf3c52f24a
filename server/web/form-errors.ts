import type { z } from 'zod';
import { hasKey, t, type Locale } from '../core/i18n/index.js';

/**
 * One shape for a rejected form, whichever page it is on: the error summary at the top
 * (`views/shared/partials/error-summary.hbs`) lists `summary` in page order, each item linking to
 * its field; each field shows `byField[field]` next to itself. Messages are already translated.
 */
export type ErrorSummaryItem = { readonly field: string; readonly message: string; readonly href: string | null };
export type FormErrors = { readonly summary: readonly ErrorSummaryItem[]; readonly byField: Readonly<Record<string, string>> };

/** A problem as the core reports it: a field and an i18n key (services never translate). */
export type FieldIssue = { readonly field: string; readonly messageKey: string; readonly vars?: Record<string, unknown> };

export type FormErrorOptions = {
  /** Fields in page order; the summary follows it (unlisted fields go last, in the order found). */
  readonly order?: readonly string[];
  /** Prefix of the fields' ids, for a page with several forms (the summary links to `#<prefix><field>`). */
  readonly idPrefix?: string;
  /** The id of a field's input, when it is not `<prefix><field>`; null means the item is not a link. */
  readonly fieldId?: (field: string) => string | null;
  /** Summary only: the fields show no message of their own (e.g. "wrong username or password"). */
  readonly summaryOnly?: boolean;
};

/**
 * The first issue of each field of a failed zod parse. Schemas use i18n keys as messages; any
 * other message (zod's own English text) becomes `fallbackKey`, so a page never shows a raw
 * validator message.
 */
export function zodIssues(error: z.ZodError, fallbackKey?: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    if (issues.some((i) => i.field === field)) continue;
    issues.push({ field, messageKey: fallbackKey && !hasKey(issue.message) ? fallbackKey : issue.message });
  }
  return issues;
}

/** Translates issues into the one shape; the first issue of each field wins. */
export function formErrors(locale: Locale, issues: readonly FieldIssue[], options: FormErrorOptions = {}): FormErrors {
  const { order = [], idPrefix = '', summaryOnly = false } = options;
  // 'form' is a problem with the form as a whole: there is no field to link to.
  const fieldId = options.fieldId ?? ((field: string) => (field === 'form' ? null : `${idPrefix}${field}`));
  const byField: Record<string, string> = {};
  const first = issues.filter((issue, i) => issues.findIndex((other) => other.field === issue.field) === i);
  const rank = (field: string) => (order.includes(field) ? order.indexOf(field) : order.length);
  const sorted = [...first].sort((a, b) => rank(a.field) - rank(b.field));
  const summary = sorted.map(({ field, messageKey, vars }) => {
    const message = t(locale, messageKey, vars);
    if (!summaryOnly) byField[field] = message;
    const id = fieldId(field);
    return { field, message, href: id === null ? null : `#${id}` };
  });
  return { summary, byField };
}

/** A failed zod parse in the one shape. */
export function zodFormErrors(locale: Locale, error: z.ZodError, options: FormErrorOptions & { fallbackKey?: string } = {}): FormErrors {
  return formErrors(locale, zodIssues(error, options.fallbackKey), options);
}

/** One refusal decided after validation (a used-up code, a wrong password) in the same shape. */
export function fieldError(locale: Locale, field: string, key: string, vars?: Record<string, unknown>, options: FormErrorOptions = {}): FormErrors {
  return formErrors(locale, [{ field, messageKey: key, vars }], options);
}

/** A refusal shown in the summary only, linking to `field` (e.g. "wrong username, password or code"). */
export function summaryError(locale: Locale, field: string, key: string, vars?: Record<string, unknown>): FormErrors {
  return formErrors(locale, [{ field, messageKey: key, vars }], { summaryOnly: true });
}
