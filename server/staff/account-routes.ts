import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../core/context.js';
import { changePassword } from '../core/accounts/account.js';
import { minutesFrom } from '../web/forms.js';
import { zodFormErrors, summaryError, type FormErrors } from '../web/form-errors.js';
import { principalOf, requireStaff, setStaffCookie } from './guard.js';
import { PASSWORD_MIN_LENGTH } from '../core/accounts/passwords.js';
import { passwordChangeSchema } from '../core/accounts/schema.js';
import type { StaffDeps } from '../core/accounts/service.js';

/** A signed-in staff member's own account: changing the password. */
export function staffAccountRoutes(ctx: AppContext): Router {
  const router = Router();
  const deps: StaffDeps = { db: ctx.database.db, kdf: ctx.kdf, config: ctx.config };
  // Analysts too: everyone keeps their own password.
  const guard = requireStaff(ctx, { analyst: true });

  const renderForm = (res: Response, status = 200, form?: FormErrors) =>
    res.status(status).render('account-password', {
      layout: 'staff',
      titleKey: 'staff.account.passwordTitle',
      minLength: PASSWORD_MIN_LENGTH,
      errors: form,
    });

  router.get('/staff/account/password', guard, (_req, res) => {
    renderForm(res);
  });

  router.post('/staff/account/password', guard, async (req: Request, res) => {
    const principal = principalOf(req);
    const parsed = passwordChangeSchema(principal.username).safeParse(req.body);
    if (!parsed.success) return renderForm(res, 400, zodFormErrors(req.locale, parsed.error, { order: ['currentPassword', 'newPassword', 'newPasswordConfirm', 'code'] }));
    const result = await changePassword(deps, principal, parsed.data);
    if (result.ok) {
      setStaffCookie(res, ctx.config, result.cookie);
      return res.render('account-password-done', { layout: 'staff', titleKey: 'staff.account.passwordDoneTitle' });
    }
    if (result.reason === 'throttled') {
      res.setHeader('Retry-After', String(result.retryAfterSeconds));
      return renderForm(res, 429, summaryError(req.locale, 'currentPassword', 'staff.errors.throttled', { minutes: minutesFrom(result.retryAfterSeconds) }));
    }
    if (result.reason === 'code_reused') return renderForm(res, 401, summaryError(req.locale, 'code', 'staff.errors.codeReused'));
    renderForm(res, 401, summaryError(req.locale, 'currentPassword', 'staff.errors.passwordChangeFailed'));
  });

  return router;
}
