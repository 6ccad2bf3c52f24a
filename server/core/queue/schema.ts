import { z } from 'zod';
import { CATEGORY_CODES } from '../intake/taxonomy.js';
import { REPORT_CHANNELS, REPORT_STATUSES, SEVERITIES } from '../reports/lifecycle.js';

/**
 * The queue's filter form (GET /staff). Every field is optional; an empty value means "any".
 * Values are plaintext triage metadata only, so they may appear in the query string.
 */

/** The status filter: two groupings, then every status of the lifecycle. */
export const QUEUE_STATUSES = ['open', 'all', ...REPORT_STATUSES] as const;
export const QUEUE_SORTS = ['newest', 'oldest', 'due', 'severity'] as const;
export const DUE_FILTERS = ['overdue', 'due_soon'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const emptyToUndefined = (v: unknown) => (v === '' || v === undefined ? undefined : v);
const single = (v: unknown) => (Array.isArray(v) ? v[0] : v);
const optionalEnum = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => emptyToUndefined(single(v)), z.enum(values).optional());

const calendarDate = z.preprocess(
  (v) => emptyToUndefined(single(v)),
  z
    .string()
    .regex(DATE, 'review.errors.date')
    .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00+08:00`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'review.errors.date')
    .optional(),
);

export const queueQuerySchema = z
  .object({
    status: z.preprocess((v) => emptyToUndefined(single(v)), z.enum(QUEUE_STATUSES).default('open')),
    category: z.preprocess(
      (v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]),
      z.array(z.enum(CATEGORY_CODES as unknown as [string, ...string[]])).max(CATEGORY_CODES.length),
    ),
    severity: optionalEnum(SEVERITIES),
    channel: optionalEnum(REPORT_CHANNELS),
    province: z.preprocess((v) => emptyToUndefined(single(v)), z.string().regex(/^[A-Z]{2}$/, 'review.errors.province').optional()),
    assignee: z.preprocess(
      (v) => emptyToUndefined(single(v)),
      z.union([z.enum(['me', 'unassigned', 'others']), z.string().regex(UUID, 'review.errors.assignee')]).optional(),
    ),
    due: optionalEnum(DUE_FILTERS),
    linked: z.preprocess((v) => single(v) === '1', z.boolean()),
    from: calendarDate,
    to: calendarDate,
    sort: z.preprocess((v) => emptyToUndefined(single(v)), z.enum(QUEUE_SORTS).default('newest')),
    after: z.preprocess((v) => emptyToUndefined(single(v)), z.string().max(200).optional()),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'review.errors.dateOrder' });

export type QueueQuery = z.infer<typeof queueQuerySchema>;
