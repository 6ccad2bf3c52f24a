import { Router, type Response } from 'express';
import type { AppContext } from '../../core/context.js';
import { clientSource } from '../../web/client.js';
import { checkPostLimit, handleReportPost, type ReportOutcome } from '../../core/intake/service.js';
import { readFormWithFiles, unlessUnavailable } from './request.js';
import type { FormWithFiles } from '../../core/intake/uploads.js';
import { emptyReportValues } from '../../core/intake/schema.js';
import { readReportValues } from '../../core/intake/schema.js';
import { groupReceipt, hiddenFieldsOf, reportFormContext, reviewContext, stagingContext, unavailableContext } from './view.js';

/**
 * The public report form: GET shows it; every POST (review, edit, send) comes back here, so a
 * rejected attempt re-renders the same form with everything typed and every file kept. The
 * receipt page is the response to the successful POST itself: the receipt never appears in a URL
 * and is never stored, so it cannot be shown again.
 */
export function intakeRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/report', (req, res) => {
    res.render('intake/form', { titleKey: 'intake.title', ...reportFormContext(req.locale, emptyReportValues(), [], null) });
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
    renderOutcome(res, outcome.value);
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

function renderUnavailable(res: Response, form: FormWithFiles): void {
  res.setHeader('Retry-After', '30');
  res.status(503).render('intake/form', {
    titleKey: 'intake.title',
    ...reportFormContext(res.req.locale, readReportValues(form.fields), [], null),
    ...unavailableContext(form),
  });
}

function renderOutcome(res: Response, outcome: ReportOutcome): void {
  switch (outcome.kind) {
    case 'form':
      if (outcome.status === 429) res.setHeader('Retry-After', '3600');
      res.status(outcome.status).render('intake/form', {
        titleKey: 'intake.title',
        ...reportFormContext(res.req.locale, outcome.values, outcome.errors, outcome.batch, outcome.refused),
      });
      return;
    case 'review':
      res.render('intake/review', {
        titleKey: 'intake.review.title',
        review: reviewContext(outcome.valid),
        hiddenFields: hiddenFieldsOf(outcome.values),
        staging: stagingContext(outcome.batch),
      });
      return;
    case 'submitted':
      res.render('intake/receipt', {
        titleKey: 'intake.receipt.title',
        receiptGroups: groupReceipt(outcome.receipt),
        immediateDanger: outcome.immediateDanger,
      });
  }
}
