import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Transaction } from 'kysely';
import type { AppContext } from '../core/context.js';
import type { DB } from '../core/db/schema.js';
import { NotFoundError } from '../core/errors.js';
import { fieldsFromBody, first } from '../core/fields.js';
import { loadSession } from '../core/sessions/store.js';
import { allowAction, openReporter } from '../core/followup/service.js';
import { withTipKey, CASE_NUMBER } from '../core/employees/tips.js';
import { claimWithIdentity, createClaimCode, requestProtection, type ReporterHold } from '../core/rewards/reporter.js';
import { protectionSchema, rewardIdentitySchema } from '../core/rewards/schema.js';
import { followupIssues } from '../core/followup/schema.js';
import { clientSource } from '../web/client.js';
import { cookieName } from '../web/cookies.js';
import { fieldError, formErrors } from '../web/form-errors.js';
import { requireEmployee } from './employees/guard.js';

/**
 * Rewards and protection for reporters (seed 004 art. 38), on the follow-up pages (receipt) and in
 * an employee's "my tips": an anonymous claim code shown once, the identity revealed for the reward
 * only after an explicit consent step, and the protection request. The same pages serve both; what
 * differs is how the reporter's hold on the report (K and their key pair) is opened.
 */
type Opener = (req: Request, work: (trx: Transaction<DB>, hold: ReporterHold) => Promise<void>) => Promise<boolean>;
type Audience = { readonly base: (req: Request) => string; readonly back: (req: Request) => string; readonly guard: RequestHandler; readonly open: Opener; readonly login: (res: Response) => void };

export function rewardRoutes(ctx: AppContext): Router {
  const router = Router();
  const followupCookie = cookieName(ctx.config.public, 'followup');
  const passThrough: RequestHandler = (_req, _res, next) => next();

  const followup: Audience = {
    base: () => '/followup',
    back: () => '/followup',
    guard: passThrough,
    login: (res) =>
      res.status(401).render('followup/login', { titleKey: 'followup.login.title', errors: fieldError(res.req.locale, 'receipt', 'followup.errors.expired', undefined, { idPrefix: 'field-' }) }),
    open: async (req, work) => {
      const session = await loadSession(ctx.database.db, 'reporter', req.cookies?.[followupCookie]);
      const opened = session ? await openReporter(ctx, session) : null;
      if (!opened) return false;
      const { report, reporter } = opened;
      try {
        const hold: ReporterHold = { reportId: report.id, caseNumber: report.case_number, rewardEligible: report.reward_eligible, principal: reporter.principal, reportKey: reporter.reportKey };
        await ctx.database.db.transaction().execute((trx) => work(trx, hold));
        return true;
      } finally {
        reporter.reportKey.fill(0);
      }
    },
  };

  const employee: Audience = {
    base: (req) => `/employee/tips/${String(req.params.caseNumber)}`,
    back: (req) => `/employee/tips/${String(req.params.caseNumber)}`,
    guard: requireEmployee(ctx),
    login: (res) => res.redirect(303, '/employee/login'),
    open: async (req, work) => {
      const caseNumber = String(req.params.caseNumber);
      if (!CASE_NUMBER.test(caseNumber)) return false;
      const done = await ctx.database.db.transaction().execute((trx) =>
        withTipKey(trx, req.employee!, caseNumber, async (tip, key, principal) => {
          await work(trx, { reportId: tip.id, caseNumber: tip.case_number, rewardEligible: tip.reward_eligible, principal, reportKey: key });
          return true;
        }),
      );
      return done === true;
    },
  };

  mount(router, ctx, '/followup', followup);
  mount(router, ctx, '/employee/tips/:caseNumber', employee);
  return router;
}

function mount(router: Router, ctx: AppContext, prefix: string, who: Audience): void {
  const renderIdentity = (req: Request, res: Response, status: number, values: Record<string, string>, errors: ReturnType<typeof formErrors> | null) =>
    res.status(status).render('rewards/identity', { titleKey: 'rewards.identity.title', action: `${who.base(req)}/reward/identity`, back: who.back(req), values, errors });
  const renderProtection = (req: Request, res: Response, status: number, message: string, errors: ReturnType<typeof formErrors> | null) =>
    res.status(status).render('rewards/protection', { titleKey: 'rewards.protection.title', action: `${who.base(req)}/protection`, back: who.back(req), protection: { message }, errors });
  const throttledUnless = async (req: Request, res: Response): Promise<boolean> => {
    if (await allowAction(ctx, clientSource(req))) return false;
    res.setHeader('Retry-After', '3600');
    res.status(429).render('rewards/throttled', { titleKey: 'rewards.throttled.title', back: who.back(req) });
    return true;
  };

  // The code is in this response only: never stored, never in a URL, never cached.
  router.post(`${prefix}/reward/code`, who.guard, async (req, res) => {
    if (await throttledUnless(req, res)) return;
    let result: Awaited<ReturnType<typeof createClaimCode>> | null = null;
    const signedIn = await who.open(req, async (trx, hold) => {
      result = await createClaimCode(trx, hold);
    });
    if (!signedIn) return who.login(res);
    const outcome = result as Awaited<ReturnType<typeof createClaimCode>> | null;
    if (!outcome || outcome.kind !== 'created') throw new NotFoundError();
    res.setHeader('Cache-Control', 'no-store');
    res.render('rewards/code', { titleKey: 'rewards.code.title', code: outcome.code, back: who.back(req) });
  });

  router.get(`${prefix}/reward/identity`, who.guard, (req, res) => renderIdentity(req, res, 200, {}, null));

  router.post(`${prefix}/reward/identity`, who.guard, async (req, res) => {
    const fields = fieldsFromBody(req.body);
    const values = Object.fromEntries(['consent', 'identity_name', 'identity_phone', 'identity_id_number', 'identity_contact'].map((n) => [n, first(fields, n)]));
    const parsed = rewardIdentitySchema.safeParse(values);
    const errorsOf = (issues: { field: string; messageKey: string }[]) => formErrors(req.locale, issues, { idPrefix: 'field-' });
    if (!parsed.success) return renderIdentity(req, res, 422, values, errorsOf(followupIssues(parsed.error)));
    if (await throttledUnless(req, res)) return;
    let refusal: { field: string; messageKey: string } | null = null;
    const signedIn = await who.open(req, async (trx, hold) => {
      const result = await claimWithIdentity(trx, hold, parsed.data);
      if (result.kind === 'refused') refusal = result;
    });
    if (!signedIn) return who.login(res);
    if (refusal) return renderIdentity(req, res, 422, values, errorsOf([refusal]));
    res.redirect(303, `${who.back(req)}#reward`);
  });

  router.get(`${prefix}/protection`, who.guard, (req, res) => renderProtection(req, res, 200, '', null));

  router.post(`${prefix}/protection`, who.guard, async (req, res) => {
    const fields = fieldsFromBody(req.body);
    const message = first(fields, 'message');
    const parsed = protectionSchema.safeParse({ confirm: first(fields, 'confirm'), message });
    if (!parsed.success) return renderProtection(req, res, 422, message, formErrors(req.locale, followupIssues(parsed.error), { idPrefix: 'field-' }));
    if (await throttledUnless(req, res)) return;
    const signedIn = await who.open(req, (trx, hold) => requestProtection(ctx, trx, hold, parsed.data.message));
    if (!signedIn) return who.login(res);
    res.redirect(303, `${who.base(req)}/protection/sent`);
  });

  router.get(`${prefix}/protection/sent`, who.guard, (req, res) => res.render('rewards/protection-sent', { titleKey: 'rewards.protection.sentTitle', back: who.back(req) }));
}
