import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../core/context.js';
import { keepFormWhenUnavailable, readFormWithFiles, textOnlyForm, unlessUnavailable, type FormWithLimit } from '../intake/request.js';
import type { FormWithFiles } from '../../core/intake/uploads.js';
import { hiddenFieldsOf, reportFormContext, staysQuick, unavailableContext } from '../intake/view.js';
import { readReportValues, REPORT_FIELD_MAXLENGTH, type FieldError, type ReportFormValues } from '../../core/intake/schema.js';
import type { UploadBatch } from '../../core/intake/uploads.js';
import { endedCauseOf, requireEmployee } from './guard.js';
import type { CsrfRejectedHandler } from '../../web/errors.js';
import { EMPLOYEE_CONSENT } from '../../core/employees/schema.js';
import { allowEmployeePost, employeeFormDefaults, handleEmployeeReportPost } from '../../core/employees/report.js';
import { fieldsFromBody, first, type FieldMap } from '../../core/fields.js';
import { causeKeyOf, renderSignInAgain, signInAgain, type KeptForm } from './signin-again.js';
import { carriedOrNewToken, newSubmissionToken } from '../../core/intake/submission-token.js';

/**
 * /employee/report: the public form's partials and upload pipeline with the outlet filled in and
 * the account's identity attached sealed. The "file anonymously instead" link goes to /report,
 * which never reads the employee cookie, so nothing ties that report to this account.
 * /employee/report/quick is the quick tip: four of the same fields, posted to the same route.
 * Both carry a one-time submission token: the same form sent twice files one tip.
 */
export function employeeReportRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireEmployee(ctx);

  router.get('/employee/report', guard, async (req, res) => {
    renderForm(res, 200, await employeeFormDefaults(ctx, req.employee!), [], null, { submissionToken: newSubmissionToken() });
  });

  router.get('/employee/report/quick', guard, async (req, res) => {
    renderForm(res, 200, await employeeFormDefaults(ctx, req.employee!), [], null, { submissionToken: newSubmissionToken(), quick: true });
  });

  // While the database is away (even the session check needs it) the form comes back with what was
  // typed; when the session has ended, it comes back kept on a page that signs in again, then sends.
  const keepReport = requireEmployee(ctx, { onEnded: async (req, res, cause) => {
    const form = await readFormWithFiles(ctx, req, res, { mayPost: async () => false });
    renderSignInAgain(res, 401, keptReport(form), { causeKey: causeKeyOf(cause) });
  } });
  router.post('/employee/report', keepFormWhenUnavailable(ctx, keepReport, renderUnavailable), async (req, res) => {
    await fileReport(req, res, await readFormWithFiles(ctx, req, res, { mayPost: () => allowEmployeePost(ctx, req.employee!) }));
  });

  // "Sign in and send" from that page (text only: the files it had staged are carried by id).
  router.post('/employee/report/resume', async (req, res) => {
    const fields = fieldsFromBody(req.body);
    const signedIn = await signInAgain(ctx, req, res);
    if (!signedIn.ok) {
      const phone = first(fields, 'phone').slice(0, 40);
      return renderSignInAgain(res, signedIn.status, keptReport(textOnlyForm(fields)), { causeKey: 'employees.again.cause.sessionEnded', phone, errors: signedIn.errors });
    }
    req.employee = signedIn.employee;
    const limit = await unlessUnavailable(allowEmployeePost(ctx, signedIn.employee));
    await fileReport(req, res, { ...textOnlyForm(fields), limit });
  });

  async function fileReport(req: Request, res: Response, form: FormWithLimit) {
    const allowed = form.limit.ok && form.limit.value;
    if (!form.limit.ok || form.storageFailed) return renderUnavailable(res, form);
    const result = await unlessUnavailable(handleEmployeeReportPost(ctx, req.employee!, { ...form, overPostLimit: !allowed }));
    if (!result.ok) return renderUnavailable(res, form);
    const outcome = result.value;
    if (outcome.kind === 'submitted') return res.redirect(303, `/employee/tips/${outcome.caseNumber}?done=filed`);
    if (outcome.kind === 'already_sent') return res.status(409).render('employees/already-sent', { titleKey: 'intake.alreadySent.title' });
    if (outcome.status === 429) res.setHeader('Retry-After', '3600');
    renderForm(res, outcome.status, outcome.values, outcome.errors, outcome.batch, carried(form.fields));
  }

  return router;
}

/**
 * A report refused by the CSRF check because the session is gone (signed out in another tab): the
 * parser kept the text fields it read (web/multipart.ts), and the sign-in-again page gives them back.
 */
export function employeeReportCsrfRejected(ctx: AppContext): CsrfRejectedHandler {
  return (req, res, cause) => {
    if (req.method !== 'POST' || req.path !== '/employee/report' || !/^multipart\//i.test(req.headers['content-type'] ?? '')) return false;
    const form = { ...textOnlyForm(fieldsFromBody(req.body)), discardedFiles: req.refusedFiles ?? 0 };
    renderSignInAgain(res, 403, keptReport(form), { causeKey: causeKeyOf(cause === 'cookiesOff' ? 'cookiesOff' : endedCauseOf(ctx.config, req)) });
    return true;
  };
}

/** The report form, kept on the sign-in-again page: the description shown, the rest carried. */
function keptReport(form: FormWithFiles): KeptForm {
  const values = readReportValues(form.fields);
  const carriedAlong = ['submission_token', 'form_kind'].map((name) => ({ name, value: first(form.fields, name) })).filter((f) => f.value);
  return {
    action: '/employee/report/resume',
    text: { name: 'description', labelKey: 'intake.description.label', value: values.description, maxlength: REPORT_FIELD_MAXLENGTH.description },
    hidden: [...hiddenFieldsOf(values).filter((f) => f.name !== 'description'), ...carriedAlong],
    staging: unavailableContext(form).staging,
    discardedFiles: form.discardedFiles,
  };
}

/** What a re-rendered form keeps besides the values: its token, and whether it is the quick tip. */
function carried(fields: FieldMap) {
  return { submissionToken: carriedOrNewToken(first(fields, 'submission_token')), quick: staysQuick(fields) };
}

function renderUnavailable(res: Response, form: FormWithFiles): void {
  res.setHeader('Retry-After', '30');
  renderForm(res, 503, readReportValues(form.fields), [], null, { ...unavailableContext(form), ...carried(form.fields) });
}

function renderForm(res: Response, status: number, values: ReportFormValues, errors: FieldError[], batch: UploadBatch | null, extra: { quick?: boolean; submissionToken?: string } & object = {}): void {
  const context = { ...reportFormContext(res.req.locale, values, errors, batch, batch?.refused ?? []), ...extra };
  const chosen = (EMPLOYEE_CONSENT as readonly string[]).includes(values.identity_choice) ? values.identity_choice : 'confidential';
  res.status(status).render(extra.quick ? 'employees/quick' : 'employees/report', {
    titleKey: extra.quick ? 'intake.quick.title' : 'employees.report.title',
    ...context,
    consentChoices: EMPLOYEE_CONSENT.map((value) => ({ value, checked: value === chosen })),
    chosenConsent: chosen,
  });
}
