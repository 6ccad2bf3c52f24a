/** Forms of the reporter's follow-up pages; messages are i18n codes (`followup.errors.*`, `intake.errors.*`). */
import { z } from 'zod';
import { identityShape } from '../intake/schema.js';

export const REPLY_MAX = 10_000;

export const loginSchema = z.object({
  // Any text is accepted here; normaliseReceipt decides whether it is receipt-shaped, and a wrong
  // receipt gets the same generic answer as a malformed one.
  receipt: z.string().max(100).catch(''),
});

export const replySchema = z.object({
  body: z
    .string()
    .trim()
    .min(1, { error: 'followup.errors.reply_required' })
    .max(REPLY_MAX, { error: 'intake.errors.too_long' }),
});

export const fileNoteSchema = z.object({
  note: z.string().trim().max(REPLY_MAX, { error: 'intake.errors.too_long' }),
});

export const CONSENT_CHOICES = ['confidential', 'share_with_authorities'] as const;

/** Identity fields matter only when the report has no identity yet (checked by the service). */
export const consentSchema = z.object({
  consent: z.enum(CONSENT_CHOICES, { error: 'followup.errors.consent_choice' }),
  identity_name: identityShape.identity_name,
  identity_phone: identityShape.identity_phone,
  identity_id_number: identityShape.identity_id_number,
  identity_contact: identityShape.identity_contact,
});

export type ConsentForm = z.output<typeof consentSchema>;

/** zod issues → { field, messageKey }, first message per field; bare codes are intake messages. */
export function followupIssues(error: z.ZodError): { field: string; messageKey: string }[] {
  const seen = new Set<string>();
  const errors: { field: string; messageKey: string }[] = [];
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    if (seen.has(field)) continue;
    seen.add(field);
    const key = issue.message.includes('.') ? issue.message : /^[a-z_]+$/.test(issue.message) ? `intake.errors.${issue.message}` : 'intake.errors.invalid';
    errors.push({ field, messageKey: key });
  }
  return errors;
}
