/**
 * The public report flow: validate, check the limits, then either show the review page or seal
 * and store the report. Never sees req/res: the route hands it the parsed fields and upload batch.
 */
import type { AppContext } from '../context.js';
import { limitsOf, takeRateLimit, type RateLimitRule } from '../rate-limit.js';
import type { ClientSource } from '../client-source.js';
import { NoRecipientsError, submitReport } from '../reports/service.js';
import { isProvinceCode } from '../reports/model.js';
import { all, first, type FieldMap } from '../fields.js';
import {
  intakeIssues,
  identityFrom,
  parcelFrom,
  readReportValues,
  reportFormSchema,
  REPORT_TEXT_FIELDS,
  type FieldError,
  type ReportFormValues,
  type ValidReportForm,
} from './schema.js';
import { UploadBatch, type RefusedFile } from './uploads.js';
import { parseSubmissionToken, spendSubmissionToken, SubmissionAlreadySent, submissionTokenUsed } from './submission-token.js';

/** Every POST to the form (cheap, but each may carry files to stage). */
export const REPORT_POST_LIMIT: RateLimitRule = { bucket: 'report-post', limit: 60, windowSeconds: 3600 };
/** Reports actually sealed and stored from one address per hour (each costs an argon2id derivation). */
export const REPORT_SUBMIT_LIMIT: RateLimitRule = { bucket: 'report-submit', limit: 10, windowSeconds: 3600 };

export type ReportAction = 'review' | 'send' | 'edit';

export type ReportPost = {
  fields: FieldMap;
  truncated: ReadonlySet<string>;
  batch: UploadBatch | null;
  source: ClientSource;
  /** From checkPostLimit, before the body was read: over the limit, no file was staged. */
  overPostLimit: boolean;
};

export type ReportOutcome =
  | { kind: 'form'; status: number; values: ReportFormValues; errors: FieldError[]; refused: RefusedFile[]; batch: UploadBatch }
  | { kind: 'review'; values: ReportFormValues; valid: ValidReportForm; batch: UploadBatch }
  | { kind: 'submitted'; receipt: string; caseNumber: string; immediateDanger: boolean; tokenSpent: boolean }
  /** The form's one-time token was already spent: nothing filed this time. */
  | { kind: 'already_sent' };

/** Hidden staging fields of the form; reopened before any new file is accepted. */
export function stagingFields(fields: FieldMap) {
  return { stagingKey: first(fields, 'staging_key'), staged: all(fields, 'staged'), remove: all(fields, 'remove_staged') };
}

export function openUploadBatch(ctx: AppContext, fields: FieldMap): Promise<UploadBatch> {
  return UploadBatch.open(ctx.database.db, ctx.images, stagingFields(fields));
}

/** Counts this POST; false when the address is over the limit (its files are then not even staged). */
export async function checkPostLimit(ctx: AppContext, source: ClientSource): Promise<boolean> {
  return (await takeRateLimit(limitsOf(ctx), REPORT_POST_LIMIT, source.address)).allowed;
}

/** One POST of the report form, from any step. */
export async function handleReportPost(ctx: AppContext, post: ReportPost): Promise<ReportOutcome> {
  const batch = post.batch ?? (await openUploadBatch(ctx, post.fields));
  const values = readReportValues(post.fields);
  const action = parseAction(first(post.fields, 'action'));
  const form = (status: number, errors: FieldError[]): ReportOutcome => ({ kind: 'form', status, values, errors, refused: batch.refused, batch });

  if (post.overPostLimit) return form(429, [tooMany()]);
  if (action === 'edit') return form(200, []);

  const parsed = reportFormSchema.safeParse(values);
  const errors = [...truncationErrors(post.truncated), ...(parsed.success ? [] : sortErrors(intakeIssues(parsed.error))), ...fileErrors(batch)];
  if (!parsed.success || errors.length > 0) return form(422, dedupe(errors));
  if (action === 'review') return { kind: 'review', values, valid: parsed.data, batch };

  const token = parseSubmissionToken(first(post.fields, 'submission_token'));
  if (token && (await submissionTokenUsed(ctx.database.db, token))) return { kind: 'already_sent' };
  if (!(await takeRateLimit(limitsOf(ctx), REPORT_SUBMIT_LIMIT, post.source.address)).allowed) return form(429, [tooMany()]);
  const valid = parsed.data;
  let result;
  try {
    const input = {
      reporter: { kind: 'anonymous' },
      categories: valid.categories,
      description: valid.description,
      immediateDanger: valid.immediate_danger,
      parcel: parcelFrom(valid),
      province: isProvinceCode(valid.province) ? valid.province : null,
      identity: identityFrom(valid),
      attachments: batch.files,
    } as const;
    // With a token, it is spent in the report's own transaction: both land, or neither does.
    result = token
      ? await ctx.database.db.transaction().execute(async (trx) => {
          if (!(await spendSubmissionToken(trx, token))) throw new SubmissionAlreadySent();
          return submitReport(ctx, trx, input);
        })
      : await submitReport(ctx, null, input);
  } catch (err) {
    if (err instanceof SubmissionAlreadySent) return { kind: 'already_sent' };
    // Nobody could read it (no reviewer, no escrow): the reporter keeps the form and is told.
    if (!(err instanceof NoRecipientsError)) throw err;
    return form(503, [{ field: 'form', messageKey: 'intake.errors.no_recipients' }]);
  }
  return { kind: 'submitted', receipt: result.receipt!, caseNumber: result.caseNumber, immediateDanger: valid.immediate_danger, tokenSpent: token !== null };
}

function parseAction(value: string): ReportAction {
  return value === 'send' || value === 'edit' ? value : 'review';
}

function tooMany(): FieldError {
  return { field: 'form', messageKey: 'intake.errors.too_many_reports' };
}

function truncationErrors(truncated: ReadonlySet<string>): FieldError[] {
  return [...truncated].filter((f) => (REPORT_TEXT_FIELDS as readonly string[]).includes(f)).map((field) => ({ field, messageKey: 'intake.errors.too_long' }));
}

/** Refused files are listed by name in the summary; the field is the file input. */
export function fileErrors(batch: UploadBatch): FieldError[] {
  return batch.refused.length > 0 ? [{ field: 'files', messageKey: 'intake.errors.files_refused' }] : [];
}

const ORDER = ['form', 'categories', ...REPORT_TEXT_FIELDS, 'files'];

function sortErrors(errors: FieldError[]): FieldError[] {
  return [...errors].sort((a, b) => ORDER.indexOf(a.field) - ORDER.indexOf(b.field));
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => (seen.has(e.field) ? false : (seen.add(e.field), true)));
}
