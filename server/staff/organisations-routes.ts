import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { AppContext } from '../core/context.js';
import { NotFoundError } from '../core/errors.js';
import { PROVINCE_CODES } from '../core/reports/model.js';
import { principalOf, requireStaff } from './guard.js';
import { fieldError, zodFormErrors, type FormErrors } from '../web/form-errors.js';
import { keepTyped } from '../core/employees/schema.js';
import { deactivateEmployee, employeeSummary } from '../core/employees/service.js';
import { idParam, inviteForm, organisationForm, outletForm, INVITE_LIMITS } from '../core/organisations/schema.js';
import { OrganisationError, createInvite, createOrganisation, createOutlet, organisationOverview, outletPage, revokeInvite, type AdminActor } from '../core/organisations/service.js';

const FALLBACK = 'organisations.errors.invalid';
const NOTICES = new Set(['org', 'revoked', 'deactivated', 'alreadyRevoked', 'alreadyDeactivated']);

function actorOf(req: Request): AdminActor {
  return { kind: 'staff', id: principalOf(req).id };
}

function uuidParam(value: unknown): string {
  const parsed = idParam.safeParse(value);
  if (!parsed.success) throw new NotFoundError();
  return parsed.data;
}

function notice(req: Request): string | undefined {
  return typeof req.query.done === 'string' && NOTICES.has(req.query.done) ? req.query.done : undefined;
}

type Forms = { orgValues?: Record<string, string>; orgErrors?: FormErrors; outletValues?: Record<string, string>; outletErrors?: FormErrors };

async function renderIndex(ctx: AppContext, req: Request, res: Response, status = 200, forms: Forms = {}) {
  const overview = await organisationOverview(ctx.database.db);
  res.status(status).render('organisations/index', {
    layout: 'staff', titleKey: 'organisations.index.title', ...overview, provinces: PROVINCE_CODES, notice: notice(req), ...forms,
  });
}

async function renderOutlet(ctx: AppContext, req: Request, res: Response, outletId: string, status = 200, values?: Record<string, string>, errors?: FormErrors) {
  const page = await outletPage(ctx.database.db, outletId);
  if (!page) throw new NotFoundError();
  res.status(status).render('organisations/outlet', {
    layout: 'staff', titleKey: 'organisations.outlet.title', ...page, limits: INVITE_LIMITS, notice: notice(req),
    values: values ?? { days: '14', uses: '20' }, errors,
  });
}

async function employeeOf(ctx: AppContext, req: Request) {
  const employee = await employeeSummary(ctx.database.db, uuidParam(req.params.id));
  if (!employee) throw new NotFoundError();
  return employee;
}

function postOrganisation(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const orgValues = keepTyped(req.body, ['name']);
    const parsed = organisationForm.safeParse(req.body ?? {});
    if (!parsed.success) return renderIndex(ctx, req, res, 422, { orgValues, orgErrors: errorsOf(req, parsed.error, 'org-') });
    try {
      await createOrganisation(ctx.database.db, actorOf(req), parsed.data.name);
    } catch (err) {
      if (!(err instanceof OrganisationError)) throw err;
      const orgErrors = fieldError(req.locale, 'name', 'organisations.errors.duplicateName', undefined, { idPrefix: 'org-' });
      return renderIndex(ctx, req, res, 409, { orgValues, orgErrors });
    }
    res.redirect(303, '/staff/admin/orgs?done=org');
  };
}

function postOutlet(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const outletValues = keepTyped(req.body, ['organisationId', 'name', 'province', 'city']);
    const parsed = outletForm.safeParse(req.body ?? {});
    if (!parsed.success) return renderIndex(ctx, req, res, 422, { outletValues, outletErrors: errorsOf(req, parsed.error, 'outlet-') });
    try {
      const outlet = await createOutlet(ctx.database.db, actorOf(req), parsed.data);
      res.redirect(303, `/staff/admin/orgs/outlets/${outlet.id}`);
    } catch (err) {
      if (!(err instanceof OrganisationError)) throw err;
      const outletErrors = fieldError(req.locale, 'organisationId', 'organisations.errors.organisationRequired', undefined, { idPrefix: 'outlet-' });
      renderIndex(ctx, req, res, 422, { outletValues, outletErrors });
    }
  };
}

/** The code is shown on this response only (never in a URL, never stored in clear): no redirect. */
function postInvite(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const outletId = uuidParam(req.params.id);
    const parsed = inviteForm.safeParse(req.body ?? {});
    if (!parsed.success) return renderOutlet(ctx, req, res, outletId, 422, keepTyped(req.body, ['days', 'uses']), errorsOf(req, parsed.error, 'invite-'));
    const input = { outletId, days: parsed.data.days, maxUses: parsed.data.uses };
    const invite = await createInvite(ctx.database.db, actorOf(req), input).catch(notFoundOnDomainError);
    res.status(201).render('organisations/invite-created', { layout: 'staff', titleKey: 'organisations.invite.createdTitle', invite, outletId });
  };
}

function postRevoke(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const inviteId = uuidParam(req.params.id);
    try {
      const { outletId } = await revokeInvite(ctx.database.db, actorOf(req), { id: inviteId });
      res.redirect(303, `/staff/admin/orgs/outlets/${outletId}?done=revoked`);
    } catch (err) {
      if (!(err instanceof OrganisationError) || err.code !== 'already_revoked') throw notFoundOnDomainError(err);
      res.redirect(303, '/staff/admin/orgs?done=alreadyRevoked');
    }
  };
}

/**
 * Admin pages for courier companies, their outlets (网点), invite codes and the employee accounts
 * of each outlet. Admins only: a reviewer gets 403. Employee names are sealed and never shown here.
 */
export function organisationRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireStaff(ctx, { admin: true });

  router.get('/staff/admin/orgs', guard, (req, res) => renderIndex(ctx, req, res));
  router.post('/staff/admin/orgs', guard, postOrganisation(ctx));
  router.post('/staff/admin/orgs/outlets', guard, postOutlet(ctx));

  router.get('/staff/admin/orgs/outlets/:id', guard, (req, res) => renderOutlet(ctx, req, res, uuidParam(req.params.id)));
  router.post('/staff/admin/orgs/outlets/:id/invites', guard, postInvite(ctx));
  router.post('/staff/admin/orgs/invites/:id/revoke', guard, postRevoke(ctx));

  router.get('/staff/admin/orgs/employees/:id/deactivate', guard, async (req, res) => {
    const employee = await employeeOf(ctx, req);
    res.render('organisations/deactivate-employee', { layout: 'staff', titleKey: 'organisations.deactivate.title', employee });
  });

  router.post('/staff/admin/orgs/employees/:id/deactivate', guard, async (req, res) => {
    const employee = await employeeOf(ctx, req);
    const done = (await deactivateEmployee(ctx.database.db, actorOf(req), employee.id)) ? 'deactivated' : 'alreadyDeactivated';
    res.redirect(303, `/staff/admin/orgs/outlets/${employee.outlet_id}?done=${done}`);
  });

  return router;
}

function errorsOf(req: Request, error: z.ZodError, idPrefix: string): FormErrors {
  return zodFormErrors(req.locale, error, { fallbackKey: FALLBACK, idPrefix });
}

/** An outlet or invite that vanished between the page and the POST is simply not found. */
function notFoundOnDomainError(err: unknown): never {
  if (err instanceof OrganisationError) throw new NotFoundError();
  throw err;
}
