import { Router, type Response } from 'express';
import type { AppContext } from '../../core/context.js';
import { clientSource } from '../../web/client.js';
import { checkPostLimit, handleReportPost, type ReportOutcome } from '../../core/intake/service.js';
import { readFormWithFiles, unlessUnavailable } from './request.js';
import type { FormWithFiles } from '../../core/intake/uploads.js';
import { emptyReportValues } from '../../core/intake/schema.js';
import { readReportValues } from '../../core/intake/schema.js';
import { cookieName, cookieOptions } from '../../web/cookies.js';
import { first, type FieldMap } from '../../core/fields.js';
import { carriedOrNewToken, newSubmissionToken } from '../../core/intake/submission-token.js';
import { openReceiptCookie, RECEIPT_COOKIE_SECONDS, sealReceiptCookie } from '../../core/intake/receipt-once.js';
import { groupReceipt, hiddenFieldsOf, staysQuick, reportFormContext, reviewContext, stagingContext, unavailableContext } from './view.js';

/**
 * The public report form: GET shows it; every POST (review, edit, send) comes back here, so a
 * rejected attempt re-renders the same form with everything typed and every file kept. Each form
 * carries a one-time submission token through its steps: the same review confirmed twice files
 * one report. The receipt is shown by a GET right after the POST (POST-redirect-GET), carried there
 * in a sealed cookie that the GET clears: it never appears in a URL, is never stored, and Back or
 * reload finds a friendly "shown once" page instead of the browser's resubmission prompt.
 */
export function intakeRoutes(ctx: AppContext): Router {
  const router = Router();
  const receiptCookie = cookieName(ctx.config.public, 'receipt');
  const receiptSecret = ctx.config.secrets.receiptPepper;

  router.get('/report', (req, res) => {
    res.render('intake/form', { titleKey: 'intake.title', submissionToken: newSubmissionToken(), ...reportFormContext(req.locale, emptyReportValues(), [], null) });
  });

  // The quick tip: four fields of the same form, posted to POST /report (see formViewOf).
  router.get('/report/quick', (req, res) => {
    res.render('intake/quick', { titleKey: 'intake.quick.title', submissionToken: newSubmissionToken(), ...reportFormContext(req.locale, emptyReportValues(), [], null) });
  });

  // While the database is away nothing can be stored: the form comes back (503) with every typed
  // value, and staged files stay attached by id, instead of the generic error page.
  router.post('/report', async (req, res) => {
    const source = clientSource(req);
    const form = await readFormWithFiles(ctx, req, res, { mayPost: () => checkPostLimit(ctx, source) });
    const allowed = form.limit.ok && form.limit.value;
    if (!form.limit.ok || form.storageFailed) return renderUnavailable(res, form);
    const outcome = await unlessUnavailable(handleReportPost(ctx, { ...form, source, overPostLimit: !allowed }));
    if (!outcome.ok) return renderUnavailable(res, form);
    const result = outcome.value;
    if (result.kind === 'submitted' && result.tokenSpent) {
      const sealed = sealReceiptCookie(receiptSecret, { receipt: result.receipt, immediateDanger: result.immediateDanger });
      res.cookie(receiptCookie, sealed, cookieOptions(ctx.config.public, { sameSite: 'strict', maxAge: RECEIPT_COOKIE_SECONDS * 1000 }));
      res.redirect(303, '/report/receipt');
      return;
    }
    renderOutcome(res, result, carriedOrNewToken(first(form.fields, 'submission_token')), formViewOf(form.fields));
  });

  // Shown once: the cookie is cleared with this very response, so Back or reload gets the
  // friendly "already shown" page (no-store, as every page, keeps it out of the browser cache).
  router.get('/report/receipt', (req, res) => {
    const shown = openReceiptCookie(receiptSecret, req.cookies?.[receiptCookie]);
    res.clearCookie(receiptCookie, cookieOptions(ctx.config.public, { sameSite: 'strict' }));
    if (!shown) return res.render('intake/receipt-gone', { titleKey: 'intake.receiptGone.title' });
    res.render('intake/receipt', { titleKey: 'intake.receipt.title', receiptGroups: groupReceipt(shown.receipt), immediateDanger: shown.immediateDanger });
  });

  // The confirmation only moves the reporter on; the report was stored before the receipt was shown.
  router.post('/report/done', (req, res) => {
    if ((req.body as Record<string, unknown> | undefined)?.written_down === 'yes') {
      res.redirect(303, '/report/thanks');
      return;
    }
    res.status(422).render('intake/not-confirmed', { titleKey: 'intake.receipt.notConfirmedTitle' });
  });

  router.get('/report/thanks', (_req, res) => {
    res.render('intake/thanks', { titleKey: 'intake.thanks.title' });
  });

  return router;
}

function formViewOf(fields: FieldMap): FormView {
  return staysQuick(fields) ? QUICK_VIEW : FULL_VIEW;
}

type FormView = { template: string; titleKey: string };
const FULL_VIEW: FormView = { template: 'intake/form', titleKey: 'intake.title' };
const QUICK_VIEW: FormView = { template: 'intake/quick', titleKey: 'intake.quick.title' };

function renderUnavailable(res: Response, form: FormWithFiles): void {
  const view = formViewOf(form.fields);
  res.setHeader('Retry-After', '30');
  res.status(503).render(view.template, {
    titleKey: view.titleKey,
    ...reportFormContext(res.req.locale, readReportValues(form.fields), [], null),
    ...unavailableContext(form),
    submissionToken: carriedOrNewToken(first(form.fields, 'submission_token')),
  });
}

function renderOutcome(res: Response, outcome: ReportOutcome, submissionToken: string, view: FormView): void {
  switch (outcome.kind) {
    case 'form':
      if (outcome.status === 429) res.setHeader('Retry-After', '3600');
      res.status(outcome.status).render(view.template, {
        titleKey: view.titleKey,
        submissionToken,
        ...reportFormContext(res.req.locale, outcome.values, outcome.errors, outcome.batch, outcome.refused),
      });
      return;
    case 'review':
      res.render('intake/review', {
        titleKey: 'intake.review.title',
        review: reviewContext(outcome.valid),
        hiddenFields: hiddenFieldsOf(outcome.values),
        staging: stagingContext(outcome.batch),
        submissionToken,
      });
      return;
    case 'already_sent':
      res.status(409).render('intake/already-sent', { titleKey: 'intake.alreadySent.title' });
      return;
    case 'submitted':
      res.render('intake/receipt', {
        titleKey: 'intake.receipt.title',
        receiptGroups: groupReceipt(outcome.receipt),
        immediateDanger: outcome.immediateDanger,
      });
  }
}
