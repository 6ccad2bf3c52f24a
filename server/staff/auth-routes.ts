import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../core/context.js';
import { parseRecoveryKey } from '../core/crypto/index.js';
import { clientSource } from '../web/client.js';
import { deviceToken, setDeviceCookie } from '../web/device-cookie.js';
import { login, logout } from '../core/accounts/auth.js';
import { recoverAccount } from '../core/accounts/account.js';
import { keepValues, minutesFrom } from '../web/forms.js';
import { zodFormErrors, summaryError, type FormErrors } from '../web/form-errors.js';
import { clearStaffCookie, setStaffCookie, staffCookie } from './guard.js';
import { renderResumeLogin, resumeFromLogin, sendKeptForm } from './resume.js';
import { loginSchema, recoverSchema } from '../core/accounts/schema.js';
import { PASSWORD_MIN_LENGTH } from '../core/accounts/passwords.js';
import type { StaffDeps } from '../core/accounts/service.js';

/** The sign-in page; a failed sign-in that carries a kept form (resume.ts) shows it again, still unsent. */
function renderLogin(res: Response, status: number, values: Record<string, string> = {}, form?: FormErrors, notice?: string): void {
  const resume = res.req.method === 'POST' ? resumeFromLogin(res.req.body) : null;
  if (resume) return renderResumeLogin(res, status, null, resume, { values, errors: form });
  res.status(status).render('login', { layout: 'staff', titleKey: 'staff.login.title', values, notice, errors: form });
}

/** Sign-in, sign-out and recovery: the staff pages reachable without a session. */
export function staffAuthRoutes(ctx: AppContext): Router {
  const router = Router();
  const deps: StaffDeps = { db: ctx.database.db, kdf: ctx.kdf, config: ctx.config };


  router.get('/staff/login', (req, res) => {
    renderLogin(res, 200, {}, undefined, req.query.signedOut === '1' ? 'signedOut' : undefined);
  });

  router.post('/staff/login', async (req, res, next) => {
    const values = keepValues(req.body, ['username']);
    const parsed = loginSchema.safeParse(req.body);
    if (!parsed.success) return renderLogin(res, 400, values, zodFormErrors(req.locale, parsed.error));
    const result = await login(deps, { ...parsed.data, source: clientSource(req), deviceToken: deviceToken(req, ctx.config.staff, 'staff_device') });
    if (result.ok) {
      setStaffCookie(res, ctx.config, result.cookie);
      setDeviceCookie(res, ctx.config.staff, 'staff_device', result.deviceToken);
      if (sendKeptForm(ctx, req, next, result.role, result.cookie)) return;
      // An analyst has no queue: their workspace is the statistics page.
      return res.redirect(303, result.role === 'analyst' ? '/staff/stats' : '/staff');
    }
    if (result.reason === 'throttled') {
      res.setHeader('Retry-After', String(result.retryAfterSeconds));
      return renderLogin(res, 429, values, summaryError(req.locale, 'username', 'staff.errors.throttled', { minutes: minutesFrom(result.retryAfterSeconds) }));
    }
    if (result.reason === 'code_reused') return renderLogin(res, 401, values, summaryError(req.locale, 'code', 'staff.errors.codeReused'));
    // One message for every failure: which factor was wrong is nobody's business but the audit log's.
    renderLogin(res, 401, values, summaryError(req.locale, 'username', 'staff.errors.loginFailed'));
  });

  router.post('/staff/logout', async (req, res) => {
    await logout(deps, staffCookie(req, ctx.config));
    clearStaffCookie(res, ctx.config);
    res.redirect(303, '/staff/login?signedOut=1');
  });

  const renderRecover = (res: Response, status: number, values: Record<string, string> = {}, form?: FormErrors) =>
    res.status(status).render('recover', { layout: 'staff', titleKey: 'staff.recover.title', minLength: PASSWORD_MIN_LENGTH, values, errors: form });

  router.get('/staff/recover', (_req, res) => {
    renderRecover(res, 200);
  });

  router.post('/staff/recover', async (req: Request, res) => {
    const values = keepValues(req.body, ['username']);
    const parsed = recoverSchema.safeParse(req.body);
    if (!parsed.success) return renderRecover(res, 400, values, zodFormErrors(req.locale, parsed.error, { order: ['username', 'recoveryKey', 'newPassword', 'newPasswordConfirm', 'code'] }));
    const { username, recoveryKey, newPassword, code } = parsed.data;
    const result = await recoverAccount(deps, {
      username,
      recoveryKey: parseRecoveryKey(recoveryKey)!,
      newPassword,
      code,
      source: clientSource(req),
      deviceToken: deviceToken(req, ctx.config.staff, 'staff_device'),
    });
    if (result.ok) {
      clearStaffCookie(res, ctx.config);
      setDeviceCookie(res, ctx.config.staff, 'staff_device', result.deviceToken);
      return res.render('recover-done', { layout: 'staff', titleKey: 'staff.recover.doneTitle', recoveryKey: result.recoveryKey });
    }
    if (result.reason === 'throttled') {
      res.setHeader('Retry-After', String(result.retryAfterSeconds));
      return renderRecover(res, 429, values, summaryError(req.locale, 'username', 'staff.errors.throttled', { minutes: minutesFrom(result.retryAfterSeconds) }));
    }
    renderRecover(res, 401, values, summaryError(req.locale, 'username', 'staff.errors.recoverFailed'));
  });

  return router;
}
