import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../../core/context.js';
import { destroySession } from '../../core/sessions/store.js';
import { fieldError, zodFormErrors, type FormErrors } from '../../web/form-errors.js';
import { minutesFrom } from '../../web/forms.js';
import { joinForm, keepTyped, loginForm, passwordForm } from '../../core/employees/schema.js';
import { EmployeeError, changeEmployeePassword, joinEmployee, loginEmployee } from '../../core/employees/service.js';
import { clientSource } from '../../web/client.js';
import { deviceToken, setDeviceCookie } from '../../web/device-cookie.js';
import {
  clearEmployeeCookie,
  employeeCookieName,
  hasEmployeeSession,
  requireEmployee,
  setEmployeeCookie,
} from './guard.js';

const JOIN_FIELDS = ['inviteCode', 'name', 'employeeNumber', 'phone'] as const;
const FALLBACK = 'employees.errors.invalid';

/** Which field a service failure belongs to, and the status the re-rendered form gets. */
const FAILURES: Record<EmployeeError['code'], { field: string; key: string; status: number }> = {
  invalid_invite: { field: 'inviteCode', key: 'employees.errors.inviteInvalid', status: 422 },
  phone_taken: { field: 'phone', key: 'employees.errors.phoneTaken', status: 422 },
  invalid_login: { field: 'phone', key: 'employees.errors.loginFailed', status: 401 },
  throttled: { field: 'form', key: 'employees.errors.throttled', status: 429 },
  wrong_password: { field: 'currentPassword', key: 'employees.errors.wrongPassword', status: 422 },
};

function failure(err: unknown, req: Request, res: Response): { status: number; errors: FormErrors } {
  if (!(err instanceof EmployeeError)) throw err;
  const { field, key, status } = FAILURES[err.code];
  const wait = err.retryAfterSeconds;
  if (wait !== undefined) res.setHeader('Retry-After', String(wait));
  return { status, errors: fieldError(req.locale, field, key, wait === undefined ? undefined : { minutes: minutesFrom(wait) }) };
}

type Values = Record<string, string>;

const renderJoin = (res: Response, values: Values, errors?: FormErrors, status = 200) =>
  res.status(status).render('employees/join', { titleKey: 'employees.join.title', values, errors });

const renderLogin = (res: Response, values: Values, errors?: FormErrors, status = 200) =>
  res.status(status).render('employees/login', { titleKey: 'employees.login.title', values, errors });

const renderPassword = (res: Response, errors?: FormErrors, status = 200) =>
  res.status(status).render('employees/password', { titleKey: 'employees.password.title', errors });

function postJoin(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const values = keepTyped(req.body, JOIN_FIELDS);
    const parsed = joinForm.safeParse(req.body ?? {});
    if (!parsed.success) return renderJoin(res, values, zodFormErrors(req.locale, parsed.error, { fallbackKey: FALLBACK }), 422);
    try {
      const { cookie } = await joinEmployee(ctx, parsed.data, clientSource(req));
      setEmployeeCookie(ctx.config, res, cookie);
      res.redirect(303, '/employee?joined=1');
    } catch (err) {
      const { status, errors } = failure(err, req, res);
      renderJoin(res, values, errors, status);
    }
  };
}

function postLogin(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const values = keepTyped(req.body, ['phone']);
    const parsed = loginForm.safeParse(req.body ?? {});
    if (!parsed.success) return renderLogin(res, values, zodFormErrors(req.locale, parsed.error, { fallbackKey: FALLBACK }), 422);
    try {
      const input = { ...parsed.data, source: clientSource(req), deviceToken: deviceToken(req, ctx.config.public, 'employee_device') };
      const signedIn = await loginEmployee(ctx, input);
      setEmployeeCookie(ctx.config, res, signedIn.cookie);
      setDeviceCookie(res, ctx.config.public, 'employee_device', signedIn.deviceToken);
      res.redirect(303, '/employee');
    } catch (err) {
      const { status, errors } = failure(err, req, res);
      renderLogin(res, values, errors, status);
    }
  };
}

function postPassword(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const parsed = passwordForm.safeParse(req.body ?? {});
    if (!parsed.success) return renderPassword(res, zodFormErrors(req.locale, parsed.error, { fallbackKey: FALLBACK }), 422);
    try {
      const cookie = await changeEmployeePassword(ctx, req.employee!, parsed.data);
      setEmployeeCookie(ctx.config, res, cookie);
      res.redirect(303, '/employee?password=changed');
    } catch (err) {
      const { status, errors } = failure(err, req, res);
      renderPassword(res, errors, status);
    }
  };
}

/** Account pages of the delivery-employee side: join, sign in and out, home, password. */
export function employeeAccountRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireEmployee(ctx);

  // No ?code= prefill: an invite code in a URL would end up in browser history and proxy logs.
  router.get('/employee/join', (_req, res) => renderJoin(res, keepTyped({}, JOIN_FIELDS)));
  router.post('/employee/join', postJoin(ctx));

  router.get('/employee/login', async (req, res) => {
    if (await hasEmployeeSession(ctx, req)) return res.redirect(303, '/employee');
    renderLogin(res, { phone: '' });
  });
  router.post('/employee/login', postLogin(ctx));

  router.post('/employee/logout', async (req, res) => {
    await destroySession(ctx.database.db, req.cookies?.[employeeCookieName(ctx.config)]);
    clearEmployeeCookie(ctx.config, res);
    res.redirect(303, '/');
  });

  router.get('/employee', guard, (req, res) => {
    res.render('employees/home', {
      titleKey: 'employees.home.title',
      joined: req.query.joined === '1',
      passwordChanged: req.query.password === 'changed',
    });
  });

  router.get('/employee/account/password', guard, (_req, res) => renderPassword(res));
  router.post('/employee/account/password', guard, postPassword(ctx));

  return router;
}
