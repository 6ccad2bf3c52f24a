import type { z } from 'zod';
import { hasKey, t, type Locale } from '../core/i18n/index.js';

export type FieldError = { readonly field: string; readonly message: string };
export type FormErrors = { readonly list: readonly FieldError[]; readonly byField: Readonly<Record<string, string>> };

/**
 * Turns a failed zod parse into translated per-field messages for the error summary and the
 * fields. Schemas use i18n keys as their messages; anything else (zod's own English text) is
 * replaced by `fallbackKey`, so a page never shows an untranslated or technical message.
 */
export function formErrors(error: z.ZodError, locale: Locale, fallbackKey: string): FormErrors {
  const byField: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    if (field in byField) continue;
    byField[field] = t(locale, hasKey(issue.message) ? issue.message : fallbackKey);
  }
  return fieldErrors(byField);
}

/** Errors found after validation (a used-up invite code, a wrong password) in the same shape. */
export function fieldErrors(byField: Record<string, string>): FormErrors {
  return { list: Object.entries(byField).map(([field, message]) => ({ field, message })), byField };
}
