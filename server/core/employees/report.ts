/**
 * The employee tip form: the public report flow's validation, form context and upload pipeline,
 * sealed through the shared report core as channel 'employee' with the account's key pair and
 * sealed identity. Never sees req/res.
 */
import type { AppContext } from '../context.js';
import { limitsOf, takeRateLimit, type RateLimitRule } from '../rate-limit.js';
import { NoRecipientsError, submitReport } from '../reports/service.js';
import { isProvinceCode, type IdentityRecord } from '../reports/model.js';
import { openUploadBatch, fileErrors } from '../intake/service.js';
import { emptyReportValues, intakeIssues, parcelFrom, readReportValues, REPORT_TEXT_FIELDS, type FieldError, type ReportFormValues } from '../intake/schema.js';
import type { FormWithFiles, UploadBatch } from '../intake/uploads.js';
import type { EmployeePrincipal } from './principal.js';
import { openEmployeeIdentity } from './keys.js';
import { findOutletForIdentity, findOwnIdentity } from './repository.js';
import { findOwnTips, newTipKeys, tipRateLimitSubject, tipSecretOf } from './tip-index.js';
import { employeeReportSchema, type ValidEmployeeReport } from './schema.js';
import { first } from '../fields.js';
import { parseSubmissionToken, spendSubmissionToken, SubmissionAlreadySent, submissionTokenUsed } from '../intake/submission-token.js';

/** Form POSTs (each may stage files) and sealed tips per account and hour. */
export const EMPLOYEE_POST_LIMIT: RateLimitRule = { bucket: 'employee-report-post', limit: 60, windowSeconds: 3600 };
export const EMPLOYEE_REPORT_LIMIT: RateLimitRule = { bucket: 'employee-report', limit: 20, windowSeconds: 3600 };

/**
 * The counters' subject for one account: derived from its tip secret, not its id. rate_limits
 * stores a keyed hash of the subject, which the secrets file would let anyone recompute for every
 * employee id, and so see who filed tips in the last hours; the tip secret needs the employee's key.
 */
function employeeSubject(employee: EmployeePrincipal): string {
  return `employee-tips:${tipRateLimitSubject(employee.privateKey)}`;
}

export async function allowEmployeePost(ctx: AppContext, employee: EmployeePrincipal): Promise<boolean> {
  return (await takeRateLimit(limitsOf(ctx), EMPLOYEE_POST_LIMIT, employeeSubject(employee))).allowed;
}

/** A fresh form: company, outlet and province from the employee's outlet; identity confidential. */
export async function employeeFormDefaults(ctx: AppContext, employee: EmployeePrincipal): Promise<ReportFormValues> {
  const outlet = await findOutletForIdentity(ctx.database.db, employee.outletId);
  return {
    ...emptyReportValues(),
    courier_company: outlet?.organisation_name ?? '',
    outlet: outlet ? `${outlet.city} ${outlet.name}` : '',
    province: outlet?.province ?? '',
    identity_choice: 'confidential',
  };
}

export type EmployeeReportOutcome =
  | { kind: 'form'; status: number; values: ReportFormValues; errors: FieldError[]; batch: UploadBatch }
  | { kind: 'submitted'; caseNumber: string }
  /** The form's one-time token was already spent: nothing filed this time. */
  | { kind: 'already_sent' };

/** One POST of the employee form: re-render with everything kept, or seal and store the tip. */
export async function handleEmployeeReportPost(
  ctx: AppContext,
  employee: EmployeePrincipal,
  post: FormWithFiles & { overPostLimit: boolean },
): Promise<EmployeeReportOutcome> {
  const batch = post.batch ?? (await openUploadBatch(ctx, post.fields));
  const values = readReportValues(post.fields);
  const form = (status: number, errors: FieldError[]): EmployeeReportOutcome => ({ kind: 'form', status, values, errors, batch });
  if (post.overPostLimit) return form(429, [{ field: 'form', messageKey: 'intake.errors.too_many_reports' }]);
  // The quick tip's "add details": the full form comes back with everything kept; nothing is filed.
  if (first(post.fields, 'action') === 'edit') return form(200, []);

  const parsed = employeeReportSchema.safeParse(values);
  const truncated = [...post.truncated].filter((f) => (REPORT_TEXT_FIELDS as readonly string[]).includes(f));
  const errors = [
    ...truncated.map((field) => ({ field, messageKey: 'intake.errors.too_long' })),
    ...(parsed.success ? [] : intakeIssues(parsed.error)),
    ...fileErrors(batch),
  ];
  if (!parsed.success || errors.length > 0) return form(422, errors);
  const token = parseSubmissionToken(first(post.fields, 'submission_token'));
  if (token && (await submissionTokenUsed(ctx.database.db, token))) return { kind: 'already_sent' };
  if (!(await takeRateLimit(limitsOf(ctx), EMPLOYEE_REPORT_LIMIT, employeeSubject(employee))).allowed) {
    return form(429, [{ field: 'form', messageKey: 'intake.errors.too_many_reports' }]);
  }
  try {
    const { caseNumber } = await submitEmployeeReport(ctx, employee, parsed.data, batch, token);
    return { kind: 'submitted', caseNumber };
  } catch (err) {
    if (err instanceof SubmissionAlreadySent) return { kind: 'already_sent' };
    if (!(err instanceof NoRecipientsError)) throw err;
    return form(503, [{ field: 'form', messageKey: 'intake.errors.no_recipients' }]);
  }
}

/**
 * Files the tip under the account's next tip tag and its derived key pair (./tip-index.ts), so the
 * stored tip names no account. Two tips filed at once by one account can draw the same ordinal: the
 * unique tag refuses the second, which draws again. The form's one-time token is spent in each
 * attempt's own transaction, so a refused attempt leaves it unspent and a repeated send files nothing.
 */
async function submitEmployeeReport(ctx: AppContext, employee: EmployeePrincipal, valid: ValidEmployeeReport, batch: UploadBatch, token: string | null) {
  const identity = await employeeIdentityRecord(ctx, employee, valid.identity_choice);
  const secret = tipSecretOf(employee.privateKey);
  try {
    for (let attempt = 0; ; attempt++) {
      const { nextOrdinal } = await findOwnTips(ctx.database.db, secret);
      const { tag, pair } = newTipKeys(secret, nextOrdinal);
      pair.privateKey.fill(0);
      try {
        const input = {
          reporter: { kind: 'employee', publicKey: pair.publicKey, tipTag: tag },
          categories: valid.categories,
          description: valid.description,
          immediateDanger: valid.immediate_danger,
          parcel: parcelFrom(valid),
          province: isProvinceCode(valid.province) ? valid.province : null,
          identity,
          attachments: batch.files,
        } as const;
        if (!token) return await submitReport(ctx, null, input);
        return await ctx.database.db.transaction().execute(async (trx) => {
          if (!(await spendSubmissionToken(trx, token))) throw new SubmissionAlreadySent();
          return submitReport(ctx, trx, input);
        });
      } catch (err) {
        if (attempt >= 2 || !isUniqueViolation(err)) throw err;
      }
    }
  } finally {
    secret.fill(0);
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/**
 * The identity record attached to the tip (sealed there under KI, for custodians and the
 * employee): opened from the account's sealed identity with the employee's own private key, which
 * only this signed-in session holds. The server could not attach it on its own.
 */
async function employeeIdentityRecord(
  ctx: AppContext,
  employee: EmployeePrincipal,
  consent: IdentityRecord['consent'],
): Promise<IdentityRecord> {
  const own = await findOwnIdentity(ctx.database.db, employee.id);
  if (!own) throw new Error('employee has no identity grant');
  const identity = openEmployeeIdentity(employee.id, new Uint8Array(own.identity_sealed), new Uint8Array(own.sealed_key), employee);
  const outlet = `${identity.outlet.city} ${identity.outlet.name}`;
  return { name: identity.name, phone: identity.phone, employee: { number: identity.employeeNumber, company: identity.company, outlet }, consent };
}
