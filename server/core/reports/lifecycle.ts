/**
 * The words of a report's lifecycle, defined once (DESIGN §5): the database column types, the
 * queue filter, the case forms, the status counts and the translation keys all derive from these
 * lists, so a new status or severity is added here and nowhere else.
 */

/** In lifecycle order; the queue's status counts follow this order. */
export const REPORT_STATUSES = ['new', 'acknowledged', 'in_review', 'awaiting_reporter', 'referred', 'closed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** Every status a case can still move from: all but `closed`. */
export const OPEN_STATUSES: readonly ReportStatus[] = REPORT_STATUSES.filter((s) => s !== 'closed');

/** Why a case was closed. */
export const REPORT_OUTCOMES = [
  'referred_to_authority',
  'handled_internally',
  'unfounded',
  'duplicate',
  'insufficient_information',
  'withdrawn',
] as const;
export type ReportOutcome = (typeof REPORT_OUTCOMES)[number];

/** Most urgent first; the queue's severity sort and the case page's options follow this order. */
export const SEVERITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Where a report came in: the anonymous public form or a signed-in delivery employee. */
export const REPORT_CHANNELS = ['public', 'employee'] as const;
export type ReportChannel = (typeof REPORT_CHANNELS)[number];
