import type { z } from 'zod';
import { t, type Locale } from '../core/i18n/index.js';

export type FieldError = { readonly field: string; readonly message: string };
export type FormErrors = { readonly errors: FieldError[]; readonly fieldErrors: Record<string, string> };

/**
 * Turns a failed parse into what the views show: a summary list linking to each field (by id)
 * and one message per field for aria-describedby. The first problem of each field wins.
 */
export function formErrors(locale: Locale, error: z.ZodError, fieldOrder: readonly string[] = []): FormErrors {
  const fieldErrors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    fieldErrors[field] ??= t(locale, issue.message);
  }
  // The summary lists problems in the order the fields appear on the page.
  const rank = (field: string) => (fieldOrder.includes(field) ? fieldOrder.indexOf(field) : fieldOrder.length);
  const fields = Object.keys(fieldErrors).sort((a, b) => rank(a) - rank(b));
  return { errors: fields.map((field) => ({ field, message: fieldErrors[field]! })), fieldErrors };
}

/** A single message not tied to a validation issue (e.g. "wrong username, password or code"). */
export function formError(locale: Locale, field: string, key: string, vars?: Record<string, unknown>): FormErrors {
  const message = t(locale, key, vars);
  return { errors: [{ field, message }], fieldErrors: {} };
}

/** The typed values to put back into a re-rendered form. Secrets (passwords, keys, codes) are never echoed. */
export function keepValues(body: unknown, fields: readonly string[]): Record<string, string> {
  const source = (body ?? {}) as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const field of fields) {
    const value = source[field];
    if (typeof value === 'string') values[field] = value.slice(0, 200);
  }
  return values;
}

/** Minutes, rounded up, for "try again in N minutes". */
export function minutesFrom(seconds: number): number {
  return Math.max(1, Math.ceil(seconds / 60));
}
