import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../core/context.js';
import { ForbiddenError, NotFoundError } from '../core/errors.js';
import { keepValues } from '../web/forms.js';
import { fieldError, zodFormErrors, type FormErrors } from '../web/form-errors.js';
import { principalOf, requireStaff } from './guard.js';
import { createStaffSchema } from '../core/accounts/schema.js';
import { readiness } from '../core/setup/service.js';
import {
  createStaffAccount,
  deactivateStaff,
  getStaffSummary,
  listStaffAccounts,
  reissueEnrolmentLink,
  type EnrolLink,
  type StaffDeps,
  type StaffSummary,
} from '../core/accounts/service.js';

const staffIdSchema = z.uuid();
const NOTICES = new Set(['deactivated', 'already']);

/** Account administration for admins: list, create (with a one-time link), new link, deactivate. */
export function staffAdminRoutes(ctx: AppContext): Router {
  const router = Router();
  const deps: StaffDeps = { db: ctx.database.db, kdf: ctx.kdf, config: ctx.config };
  const guard = requireStaff(ctx, { admin: true });

  async function renderList(req: Request, res: Response, status = 200, values: Record<string, string> = {}, form?: FormErrors) {
    const notice = typeof req.query.done === 'string' && NOTICES.has(req.query.done) ? req.query.done : undefined;
    const staff = await listStaffAccounts(deps);
    const ready = await readiness(ctx);
    res.status(status).render('admin-staff', { layout: 'staff', titleKey: 'staff.admin.title', staff, selfId: principalOf(req).id, values, notice, errors: form, readiness: ready });
  }

  const renderLink = (res: Response, link: EnrolLink, username: string) =>
    res.render('admin-enrol-link', { layout: 'staff', titleKey: 'staff.admin.linkTitle', link, username });

  async function targetOf(req: Request): Promise<StaffSummary> {
    const id = staffIdSchema.safeParse(req.params.id);
    const target = id.success ? await getStaffSummary(deps, id.data) : null;
    if (!target) throw new NotFoundError();
    return target;
  }

  router.get('/staff/admin/staff', guard, async (req, res) => {
    await renderList(req, res);
  });

  router.post('/staff/admin/staff', guard, async (req, res) => {
    const values = keepValues(req.body, ['username', 'role', 'custodian']);
    const parsed = createStaffSchema.safeParse(req.body);
    if (!parsed.success) return renderList(req, res, 400, values, zodFormErrors(req.locale, parsed.error, { order: ['username', 'role', 'custodian'] }));
    const link = await createStaffAccount(deps, parsed.data, { kind: 'staff', id: principalOf(req).id });
    if (link === 'taken') {
      return renderList(req, res, 409, values, fieldError(req.locale, 'username', 'staff.errors.usernameTaken'));
    }
    renderLink(res, link, parsed.data.username);
  });

  router.post('/staff/admin/staff/:id/enrol-link', guard, async (req, res) => {
    const target = await targetOf(req);
    const link = target.status === 'pending' ? await reissueEnrolmentLink(deps, target.id, { kind: 'staff', id: principalOf(req).id }) : null;
    if (!link) throw new NotFoundError();
    renderLink(res, link, target.username);
  });

  const renderConfirm = (res: Response, target: StaffSummary, status = 200, errorKey?: string) =>
    res.status(status).render('admin-deactivate', { layout: 'staff', titleKey: 'staff.admin.deactivateTitle', target, errorKey });

  router.get('/staff/admin/staff/:id/deactivate', guard, async (req, res) => {
    renderConfirm(res, await targetOf(req));
  });

  router.post('/staff/admin/staff/:id/deactivate', guard, async (req, res) => {
    const target = await targetOf(req);
    const outcome = await deactivateStaff(deps, target.id, { kind: 'staff', id: principalOf(req).id });
    if (outcome === 'notFound') throw new NotFoundError();
    if (outcome === 'forbidden') throw new ForbiddenError('staff.errors.adminOnly');
    if (outcome === 'self' || outcome === 'lastAdmin') return renderConfirm(res, target, 409, `staff.admin.refused.${outcome}`);
    res.redirect(303, `/staff/admin/staff?done=${outcome}`);
  });

  return router;
}
