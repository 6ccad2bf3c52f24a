import type { z } from 'zod';
import { hasKey } from '../core/i18n/index.js';

/** A rejected form's messages: i18n keys per field, plus the ordered list for the error summary. */
export type FieldErrors = {
  readonly list: { field: string; key: string }[];
  readonly byField: Record<string, string>;
};

/**
 * Turns a zod error into translatable messages. Schemas put i18n keys in their messages; any other
 * message (zod's own, in English) is replaced by `fallbackKey`, so no raw validator text reaches a page.
 */
export function fieldErrors(error: z.ZodError, fallbackKey: string): FieldErrors {
  const byField: Record<string, string> = {};
  const list: { field: string; key: string }[] = [];
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    if (byField[field]) continue;
    const key = hasKey(issue.message) ? issue.message : fallbackKey;
    byField[field] = key;
    list.push({ field, key });
  }
  return { list, byField };
}

/** One message for one field, for refusals decided by a service rather than by the schema. */
export function singleError(field: string, key: string): FieldErrors {
  return { list: [{ field, key }], byField: { [field]: key } };
}
