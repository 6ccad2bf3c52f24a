import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../core/context.js';
import { principalOf, requireStaff } from './guard.js';
import { CaseActionRefused } from '../core/cases/access.js';
import { formErrors, zodIssues, type FieldIssue } from '../web/form-errors.js';
import { renderCasePage, typedValues } from './cases/render.js';
import { decisionSchema, handOverSchema, identityRequestSchema } from '../core/custody/schema.js';
import { handOverCustody, HandOverRefused, handOverTargets, HANDOVER_BATCH, type HandOverResult } from '../core/custody/handover.js';
import { decideRequest, DecisionRefused, listPendingRequests, requestIdentityAccess, viewIdentity } from '../core/custody/service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Identity custodianship: reviewers ask (from the case page), custodians decide
 * (/staff/identity-requests), and holders of the identity key open the identity (audited).
 */
export function custodyRoutes(ctx: AppContext): Router {
  const router = Router();
  const staffOnly = requireStaff(ctx);
  const custodianOnly = requireStaff(ctx, { custodian: true });

  router.post('/staff/cases/:caseNumber/identity-requests', staffOnly, postIdentityRequest(ctx));

  router.get('/staff/cases/:caseNumber/identity', staffOnly, async (req, res) => {
    const shown = await viewIdentity(ctx, principalOf(req), String(req.params.caseNumber));
    res.render('identity', { layout: 'staff', titleKey: 'custody.identity.title', ...shown });
  });

  router.get('/staff/identity-requests', custodianOnly, async (req, res) => {
    await renderRequests(ctx, req, res);
  });
  router.post('/staff/identity-requests/:requestId/decision', custodianOnly, postDecision(ctx));

  router.get('/staff/custody/handover', custodianOnly, async (req, res) => {
    await renderHandOver(ctx, req, res, 200);
  });
  router.post('/staff/custody/handover', custodianOnly, postHandOver(ctx));

  return router;
}

function postIdentityRequest(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const caseNumber = String(req.params.caseNumber);
    const parsed = identityRequestSchema.safeParse(req.body ?? {});
    const values = typedValues(req.body);
    if (!parsed.success) {
      await renderCasePage(ctx, req, res, { form: 'identityRequest', values, errors: zodIssues(parsed.error, 'cases.errors.invalid') }, 422);
      return;
    }
    try {
      await requestIdentityAccess(ctx, principalOf(req), caseNumber, parsed.data.reason);
    } catch (err) {
      if (!(err instanceof CaseActionRefused)) throw err;
      await renderCasePage(ctx, req, res, { form: err.form, values, errors: [{ field: err.field, messageKey: err.messageKey }] }, 422);
      return;
    }
    res.redirect(303, `/staff/cases/${encodeURIComponent(caseNumber)}?done=identityRequested#identity`);
  };
}

function postDecision(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const requestId = String(req.params.requestId);
    if (!UUID.test(requestId)) {
      res.redirect(303, '/staff/identity-requests');
      return;
    }
    const parsed = decisionSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      await renderRequests(ctx, req, res, { requestId, values: typedValues(req.body), errors: zodIssues(parsed.error, 'cases.errors.invalid') });
      return;
    }
    try {
      await decideRequest(ctx, principalOf(req), requestId, parsed.data);
    } catch (err) {
      if (!(err instanceof DecisionRefused)) throw err;
      await renderRequests(ctx, req, res, { requestId, values: typedValues(req.body), errors: [{ field: 'reason', messageKey: err.messageKey }] });
      return;
    }
    res.redirect(303, `/staff/identity-requests?done=${parsed.data.decision === 'approve' ? 'approved' : 'denied'}`);
  };
}

function postHandOver(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const parsed = handOverSchema.safeParse(req.body ?? {});
    if (!parsed.success) return renderHandOver(ctx, req, res, 422, { errors: zodIssues(parsed.error, 'custody.handover.errors.target') });
    try {
      const result = await handOverCustody(ctx, principalOf(req), parsed.data.to);
      await renderHandOver(ctx, req, res, 200, { result, to: parsed.data.to });
    } catch (err) {
      if (!(err instanceof HandOverRefused)) throw err;
      await renderHandOver(ctx, req, res, 422, { errors: [{ field: 'to', messageKey: err.messageKey }] });
    }
  };
}

async function renderHandOver(
  ctx: AppContext,
  req: Request,
  res: Response,
  status: number,
  state: { errors?: FieldIssue[]; result?: HandOverResult; to?: string } = {},
): Promise<void> {
  const targets = await handOverTargets(ctx.database.db, principalOf(req));
  res.status(status).render('custody-handover', {
    layout: 'staff',
    titleKey: 'custody.handover.title',
    targets: targets.map((t) => ({ ...t, selected: t.id === state.to })),
    // Every problem of this one-field form is about the chosen colleague.
    errors: state.errors && formErrors(req.locale, state.errors, { fieldId: () => 'field-to' }),
    result: state.result,
    batch: HANDOVER_BATCH,
  });
}

async function renderRequests(
  ctx: AppContext,
  req: Request,
  res: Response,
  failed?: { requestId: string; values: Record<string, unknown>; errors: FieldIssue[] },
): Promise<void> {
  const requests = await listPendingRequests(ctx, principalOf(req));
  const done = req.query.done === 'approved' || req.query.done === 'denied' ? req.query.done : null;
  // Several decision forms on one page: the summary names the problem without linking to one of them.
  const errors = failed && formErrors(req.locale, failed.errors, { fieldId: () => null });
  res.status(failed ? 422 : 200).render('identity-requests', {
    layout: 'staff',
    titleKey: 'custody.requests.title',
    requests: requests.map((r) => (failed?.requestId === r.id ? { ...r, failed: { ...failed, errors } } : r)),
    errors,
    done,
  });
}
