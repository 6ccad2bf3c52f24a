import { z } from 'zod';
import { REPORT_OUTCOMES, REPORT_STATUSES, SEVERITIES } from '../reports/lifecycle.js';

/** One schema per case-page form. Messages are i18n keys (see form-errors.ts). */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const single = (v: unknown) => (Array.isArray(v) ? v[0] : v);
const trimmed = (v: unknown) => (typeof single(v) === 'string' ? (single(v) as string).trim() : '');

/** Free text that will be sealed: required, bounded, kept exactly as typed apart from outer spaces. */
export const sealedText = (max: number) =>
  z.preprocess(trimmed, z.string().min(1, 'cases.errors.required').max(max, 'cases.errors.tooLong'));

const uuid = (key: string) => z.preprocess(trimmed, z.string().regex(UUID, key));
const caseNumber = z.preprocess(trimmed, z.string().min(1, 'cases.errors.required').max(40, 'cases.errors.noAccessibleCase').regex(/^[A-Za-z0-9-]+$/, 'cases.errors.noAccessibleCase').transform((s) => s.toUpperCase()));

export const statusSchema = z.object({
  to: z.preprocess(single, z.enum(REPORT_STATUSES, 'cases.errors.transition')),
  outcome: z.preprocess((v) => (trimmed(v) === '' ? undefined : single(v)), z.enum(REPORT_OUTCOMES, 'cases.errors.outcome').optional()),
});

export const severitySchema = z.object({
  severity: z.preprocess(single, z.enum(SEVERITIES, 'cases.errors.severity')),
});

export const MAX_LABELS = 10;
/**
 * Labels are plaintext metadata (they sort the queue), so they are short codes, not descriptions:
 * letters, digits, - and _, at most 32 characters, at most 10, comma or space separated.
 */
export const labelsSchema = z.object({
  labels: z.preprocess(
    (v) => [...new Set(trimmed(v).split(/[\s,，、;；]+/u).filter(Boolean))],
    z.array(z.string().max(32, 'cases.errors.labelFormat').regex(/^[\p{L}\p{N}_-]+$/u, 'cases.errors.labelFormat')).max(MAX_LABELS, 'cases.errors.tooManyLabels'),
  ),
});

export const assignSchema = z.object({
  assignee: z.preprocess((v) => (trimmed(v) === '' ? null : trimmed(v)), z.string().regex(UUID, 'cases.errors.noSuchReviewer').nullable()),
});

/** Forms that carry nothing but the CSRF token (acknowledge). */
export const emptySchema = z.object({});
export const staffTargetSchema = z.object({ staffId: uuid('cases.errors.noSuchReviewer') });
export const messageSchema = z.object({ body: sealedText(10_000) });
export const questionSchema = z.object({ question: sealedText(10_000) });
export const rewardSchema = z.object({ note: sealedText(5_000) });
export const noteSchema = z.object({ body: sealedText(20_000) });
export const linkSchema = z.object({ caseNumber });
export const unlinkSchema = z.object({ reportId: uuid('cases.errors.noAccessibleCase') });
export const duplicateSchema = z.object({ caseNumber });
