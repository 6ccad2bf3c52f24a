import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../core/context.js';
import { ForbiddenError, NotFoundError } from '../core/errors.js';
import { findStaffAlertPreferences } from '../core/alerts/repository.js';
import { DIGESTS } from '../core/alerts/service.js';
import { acknowledgeKeyHolders, approveKeyHolder, keyHolderOverview, ownKeyStatus } from '../core/accounts/approval.js';
import { summaryError, type FormErrors } from '../web/form-errors.js';
import { principalOf, requireStaff } from './guard.js';

const staffIdSchema = z.uuid();
const approveSchema = z.object({ fingerprint: z.string().max(200).default('') });
const NOTICES = new Set(['approved', 'seen']);
const REFUSALS = { self: 409, malformed: 400, mismatch: 422 } as const;

/**
 * Key holders: who can receive report keys, who waits for a custodian's approval, and each
 * newcomer highlighted until the viewer acknowledges it. Custodians approve here after the new
 * person has read out their fingerprint; /staff/account shows a person their own.
 */
export function keyHolderRoutes(ctx: AppContext): Router {
  const router = Router();
  const deps = { db: ctx.database.db };
  const guard = requireStaff(ctx);

  async function renderPage(req: Request, res: Response, status = 200, failed?: { id: string; typed: string; form: FormErrors }) {
    const principal = principalOf(req);
    const overview = await keyHolderOverview(deps, principal.id);
    const notice = typeof req.query.done === 'string' && NOTICES.has(req.query.done) ? req.query.done : undefined;
    const awaiting = overview.awaiting.map((a) => ({ ...a, self: a.id === principal.id, failed: failed?.id === a.id ? { typed: failed.typed, message: failed.form.summary[0]?.message } : undefined }));
    res.status(status).render('keyholders', {
      layout: 'staff',
      titleKey: 'staff.keyholders.title',
      ...overview,
      awaiting,
      canApprove: principal.isCustodian && principal.role === 'reviewer',
      notice,
      errors: failed?.form,
    });
  }

  router.get('/staff/keyholders', guard, async (req, res) => {
    await renderPage(req, res);
  });

  router.post('/staff/keyholders/seen', guard, async (req, res) => {
    await acknowledgeKeyHolders(deps, principalOf(req).id);
    res.redirect(303, '/staff/keyholders?done=seen');
  });

  router.post('/staff/keyholders/:id/approve', requireStaff(ctx, { custodian: true }), async (req, res) => {
    const id = staffIdSchema.safeParse(req.params.id);
    if (!id.success) throw new NotFoundError();
    const typed = approveSchema.safeParse(req.body).data?.fingerprint ?? '';
    const outcome = await approveKeyHolder(deps, principalOf(req), id.data, typed);
    if (outcome === 'approved') return res.redirect(303, '/staff/keyholders?done=approved');
    if (outcome === 'notCustodian') throw new ForbiddenError('staff.errors.custodianOnly');
    if (outcome === 'notAwaiting') throw new NotFoundError();
    const form = summaryError(req.locale, `fingerprint-${id.data}`, `staff.keyholders.errors.${outcome}`);
    await renderPage(req, res, REFUSALS[outcome], { id: id.data, typed, form });
  });

  router.get('/staff/account', guard, async (req, res) => {
    const principal = principalOf(req);
    const alerts = await findStaffAlertPreferences(ctx.database.db, principal.id);
    res.render('account', { layout: 'staff', titleKey: 'staff.account.title', keyStatus: await ownKeyStatus(deps, principal), alerts, digests: DIGESTS, alertsSaved: req.query.done === 'alerts' });
  });

  return router;
}
