import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../core/context.js';
import { t } from '../core/i18n/index.js';
import {
  chooseEnrolmentPassword,
  confirmRecoveryKeyStored,
  confirmTotpEnrolment,
  findEnrolmentInvite,
  loadEnrolment,
  revealRecoveryKey,
  totpProvisioning,
  type EnrolmentState,
} from '../core/accounts/enrolment.js';
import { zodFormErrors, summaryError, type FormErrors } from '../web/form-errors.js';
import { principalOf, requireStaff, setStaffCookie, staffCookie } from './guard.js';
import { ownKeyStatus } from '../core/accounts/approval.js';
import { enrolPasswordSchema, recoveryStoredSchema, totpConfirmSchema } from '../core/accounts/schema.js';
import type { StaffDeps } from '../core/accounts/service.js';
import { PASSWORD_MIN_LENGTH } from '../core/accounts/passwords.js';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{20,100}$/;

type Invite = { username: string; role: string; isCustodian: boolean };

const invalidLink = (res: Response) => res.status(404).render('enrol-invalid', { layout: 'staff', titleKey: 'staff.enrol.invalidTitle' });

/** The enrolment in progress, or a redirect to the step it is at. */
async function atStep(ctx: AppContext, deps: StaffDeps, req: Request, res: Response, step: EnrolmentState['step']): Promise<EnrolmentState | null> {
  const state = await loadEnrolment(deps, staffCookie(req, ctx.config));
  if (!state) {
    invalidLink(res);
    return null;
  }
  if (state.step !== step) {
    res.redirect(303, `/staff/enrol/${state.step}`);
    return null;
  }
  return state;
}

const renderRecovery = (res: Response, state: EnrolmentState, status = 200, form?: FormErrors) =>
  res.status(status).render('enrol-recovery', {
    layout: 'staff',
    titleKey: 'staff.enrol.recoveryTitle',
    recoveryKey: revealRecoveryKey(state),
    errors: form,
  });

async function renderTotp(req: Request, res: Response, state: EnrolmentState, status = 200, form?: FormErrors) {
  const provisioning = await totpProvisioning(state, t(req.locale, 'staff.enrol.qrLabel'));
  res.status(status).render('enrol-totp', { layout: 'staff', titleKey: 'staff.enrol.totpTitle', ...provisioning, errors: form });
}

const renderPassword = (res: Response, token: string, invite: Invite, status = 200, form?: FormErrors) =>
  res.status(status).render('enrol-password', {
    layout: 'staff',
    titleKey: 'staff.enrol.passwordTitle',
    token,
    invite,
    minLength: PASSWORD_MIN_LENGTH,
    errors: form,
  });

function postRecovery(ctx: AppContext, deps: StaffDeps) {
  return async (req: Request, res: Response) => {
    const state = await atStep(ctx, deps, req, res, 'recovery');
    if (!state) return;
    const parsed = recoveryStoredSchema.safeParse(req.body);
    if (!parsed.success) return renderRecovery(res, state, 400, zodFormErrors(req.locale, parsed.error));
    await confirmRecoveryKeyStored(deps, state);
    res.redirect(303, '/staff/enrol/totp');
  };
}

function postTotp(ctx: AppContext, deps: StaffDeps) {
  return async (req: Request, res: Response) => {
    const state = await atStep(ctx, deps, req, res, 'totp');
    if (!state) return;
    const parsed = totpConfirmSchema.safeParse(req.body);
    if (!parsed.success) return renderTotp(req, res, state, 400, zodFormErrors(req.locale, parsed.error));
    const cookie = await confirmTotpEnrolment(deps, state, staffCookie(req, ctx.config), parsed.data.code);
    if (!cookie) return renderTotp(req, res, state, 422, summaryError(req.locale, 'code', 'staff.errors.codeWrong'));
    setStaffCookie(res, ctx.config, cookie);
    res.redirect(303, '/staff/enrol/done');
  };
}

function postPassword(ctx: AppContext, deps: StaffDeps) {
  return async (req: Request<{ token: string }>, res: Response) => {
    const token = req.params.token;
    const invite = TOKEN_PATTERN.test(token) ? await findEnrolmentInvite(deps, token) : null;
    if (!invite) return invalidLink(res);
    const parsed = enrolPasswordSchema(invite.username).safeParse(req.body);
    if (!parsed.success) return renderPassword(res, token, invite, 400, zodFormErrors(req.locale, parsed.error));
    const cookie = await chooseEnrolmentPassword(deps, token, parsed.data.newPassword);
    if (!cookie) return invalidLink(res);
    setStaffCookie(res, ctx.config, cookie);
    res.redirect(303, '/staff/enrol/recovery');
  };
}

/**
 * Enrolment from the one-time link. The token appears only in the first URL; the steps after it
 * run in an enrolment session, so a reload or the browser history never re-presents the token.
 */
export function staffEnrolRoutes(ctx: AppContext): Router {
  const router = Router();
  const deps: StaffDeps = { db: ctx.database.db, kdf: ctx.kdf, config: ctx.config };

  router.get('/staff/enrol/recovery', async (req, res) => {
    const state = await atStep(ctx, deps, req, res, 'recovery');
    if (state) renderRecovery(res, state);
  });
  router.post('/staff/enrol/recovery', postRecovery(ctx, deps));

  router.get('/staff/enrol/totp', async (req, res) => {
    const state = await atStep(ctx, deps, req, res, 'totp');
    if (state) await renderTotp(req, res, state);
  });
  router.post('/staff/enrol/totp', postTotp(ctx, deps));

  // Before /staff/enrol/:token. The fingerprint the new person reads out to a custodian.
  router.get('/staff/enrol/done', requireStaff(ctx, { analyst: true }), async (req, res) => {
    res.render('account', { layout: 'staff', titleKey: 'staff.enrol.doneTitle', enrolled: true, keyStatus: await ownKeyStatus(deps, principalOf(req)) });
  });

  router.get('/staff/enrol/:token', async (req, res) => {
    const token = req.params.token;
    const invite = TOKEN_PATTERN.test(token) ? await findEnrolmentInvite(deps, token) : null;
    if (!invite) return invalidLink(res);
    renderPassword(res, token, invite);
  });
  router.post('/staff/enrol/:token', postPassword(ctx, deps));

  return router;
}
