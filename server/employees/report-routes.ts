import { Router, type Response } from 'express';
import type { AppContext } from '../context.js';
import { readFormWithFiles } from '../intake/request.js';
import { reportFormContext } from '../intake/view.js';
import type { FieldError, ReportFormValues } from '../intake/schema.js';
import type { UploadBatch } from '../intake/uploads.js';
import { requireEmployee } from './guard.js';
import { EMPLOYEE_CONSENT } from './schema.js';
import { allowEmployeePost, employeeFormDefaults, handleEmployeeReportPost } from './report.js';

/**
 * /employee/report: the public form's partials and upload pipeline with the outlet filled in and
 * the account's identity attached sealed. The "file anonymously instead" link goes to /report,
 * which never reads the employee cookie, so nothing ties that report to this account.
 */
export function employeeReportRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireEmployee(ctx);

  router.get('/employee/report', guard, async (req, res) => {
    renderForm(res, 200, await employeeFormDefaults(ctx, req.employee!), [], null);
  });

  router.post('/employee/report', guard, async (req, res) => {
    const allowed = await allowEmployeePost(ctx, req.employee!);
    const form = await readFormWithFiles(ctx, req, res, { acceptFiles: allowed });
    const outcome = await handleEmployeeReportPost(ctx, req.employee!, { ...form, overPostLimit: !allowed });
    if (outcome.kind === 'submitted') return res.redirect(303, `/employee/tips/${outcome.caseNumber}?done=filed`);
    if (outcome.status === 429) res.setHeader('Retry-After', '3600');
    renderForm(res, outcome.status, outcome.values, outcome.errors, outcome.batch);
  });

  return router;
}

function renderForm(res: Response, status: number, values: ReportFormValues, errors: FieldError[], batch: UploadBatch | null): void {
  const context = reportFormContext(values, errors, batch, batch?.refused ?? []);
  const chosen = (EMPLOYEE_CONSENT as readonly string[]).includes(values.identity_choice) ? values.identity_choice : 'confidential';
  res.status(status).render('employees/report', {
    titleKey: 'employees.report.title',
    ...context,
    consentChoices: EMPLOYEE_CONSENT.map((value) => ({ value, checked: value === chosen })),
  });
}
