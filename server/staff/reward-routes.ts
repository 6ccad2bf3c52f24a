import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { AppContext } from '../core/context.js';
import { NotFoundError } from '../core/errors.js';
import { CaseActionRefused } from '../core/cases/access.js';
import { zodIssues } from '../web/form-errors.js';
import { principalOf, requireStaff, type StaffPrincipal } from './guard.js';
import { renderCasePage, typedValues } from './cases/render.js';
import { creditSchema, outcomeSchema, uncreditSchema } from '../core/rewards/schema.js';
import { creditOrganisation, recordReferralOutcome, removeCredit } from '../core/rewards/staff.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The reviewer's reward actions on a case (seed 004 art. 38): what became of a referral, and
 * crediting a company or outlet that removed a risk on its own initiative. Plain POST forms on the
 * case page: 303 back with a confirmation, or the page again with what was typed (422).
 */
export function staffRewardRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireStaff(ctx);

  function action<S extends z.ZodType>(path: string, form: (req: Request) => string, schema: S, run: (staff: StaffPrincipal, req: Request, input: z.output<S>) => Promise<void>, done: string, anchor: string) {
    router.post(`/staff/cases/:caseNumber/${path}`, guard, async (req: Request, res: Response) => {
      const caseNumber = String(req.params.caseNumber);
      const parsed = schema.safeParse(req.body ?? {});
      if (!parsed.success) {
        await renderCasePage(ctx, req, res, { form: form(req), values: typedValues(req.body), errors: zodIssues(parsed.error, 'cases.errors.invalid') }, 422);
        return;
      }
      try {
        await run(principalOf(req), req, parsed.data);
      } catch (err) {
        if (!(err instanceof CaseActionRefused)) throw err;
        await renderCasePage(ctx, req, res, { form: err.form, values: typedValues(req.body), errors: [{ field: err.field, messageKey: err.messageKey }] }, 422);
        return;
      }
      res.redirect(303, `/staff/cases/${encodeURIComponent(caseNumber)}?done=${done}#${anchor}`);
    });
  }

  const referralId = (req: Request): string => {
    const id = String(req.params.referralId);
    if (!UUID.test(id)) throw new NotFoundError();
    return id;
  };

  action(
    'referrals/:referralId/outcome',
    (req) => `outcome-${referralId(req)}`,
    outcomeSchema,
    (staff, req, input) => recordReferralOutcome(ctx, staff, String(req.params.caseNumber), referralId(req), input),
    'referralOutcome',
    'referrals',
  );
  action('credits', () => 'credit', creditSchema, (staff, req, input) => creditOrganisation(ctx, staff, String(req.params.caseNumber), input.target), 'credited', 'rewards');
  action('credits/remove', () => 'credit', uncreditSchema, (staff, req, input) => removeCredit(ctx, staff, String(req.params.caseNumber), input.creditId), 'uncredited', 'rewards');

  return router;
}
