/**
 * A form posted after the employee's session ended (idle, at its limit, or signed out in another
 * tab) comes back on a page that keeps what was typed, in the response only, never stored; names
 * the real cause; and asks for the phone number and password on the same page, then sends.
 */
import type { Request, Response } from 'express';
import type { AppContext } from '../../core/context.js';
import { loginForm } from '../../core/employees/schema.js';
import { EmployeeError, loginEmployee } from '../../core/employees/service.js';
import type { EmployeePrincipal } from '../../core/employees/principal.js';
import { fieldError, zodFormErrors, type FormErrors } from '../../web/form-errors.js';
import { clientSource } from '../../web/client.js';
import { minutesFrom } from '../../web/forms.js';
import { deviceToken, setDeviceCookie } from '../../web/device-cookie.js';
import { employeeFromCookie, setEmployeeCookie, type EndedCause } from './guard.js';

export type KeptForm = {
  /** Where "sign in and send" posts: a resume route that signs in, then does what the form asked. */
  action: string;
  /** The main text, shown (and editable) in a labelled textarea. */
  text: { name: string; labelKey: string; value: string; maxlength: number };
  /** Everything else the form carried, sent back as it was. */
  hidden: { name: string; value: string }[];
  staging?: object | null;
  discardedFiles?: number;
};

export function renderSignInAgain(res: Response, status: number, kept: KeptForm, opts: { causeKey: string; phone?: string; errors?: FormErrors }): void {
  res.status(status).render('employees/signin-again', {
    titleKey: 'employees.again.title',
    causeKey: opts.causeKey,
    kept,
    staging: kept.staging ?? null,
    discardedFiles: kept.discardedFiles ?? 0,
    values: { phone: opts.phone ?? '' },
    errors: opts.errors,
  });
}

export const causeKeyOf = (cause: EndedCause) => `employees.again.cause.${cause}`;

const SIGN_IN_FAILURES: Partial<Record<EmployeeError['code'], { field: string; key: string; status: number }>> = {
  invalid_login: { field: 'phone', key: 'employees.errors.loginFailed', status: 401 },
  throttled: { field: 'form', key: 'employees.errors.throttled', status: 429 },
};

/**
 * Signs in from the page that kept the form (the same checks and throttles as /employee/login).
 * On success the new session's cookies are set and its principal returned.
 */
export async function signInAgain(
  ctx: AppContext,
  req: Request,
  res: Response,
): Promise<{ ok: true; employee: EmployeePrincipal } | { ok: false; status: number; errors: FormErrors }> {
  const parsed = loginForm.safeParse(req.body ?? {});
  if (!parsed.success) return { ok: false, status: 422, errors: zodFormErrors(req.locale, parsed.error, { fallbackKey: 'employees.errors.invalid' }) };
  try {
    const input = { ...parsed.data, source: clientSource(req), deviceToken: deviceToken(req, ctx.config.public, 'employee_device') };
    const signedIn = await loginEmployee(ctx, input);
    setEmployeeCookie(ctx.config, res, signedIn.cookie);
    setDeviceCookie(res, ctx.config.public, 'employee_device', signedIn.deviceToken);
    const opened = await employeeFromCookie(ctx, signedIn.cookie);
    if (!opened) return { ok: false, status: 401, errors: fieldError(req.locale, 'phone', 'employees.errors.loginFailed') };
    res.locals.employeeSignedIn = true;
    res.locals.employeeSessionUntil = opened.sessionUntil;
    return { ok: true, employee: opened.employee };
  } catch (err) {
    const known = err instanceof EmployeeError ? SIGN_IN_FAILURES[err.code] : undefined;
    if (!known) throw err;
    const wait = (err as EmployeeError).retryAfterSeconds;
    if (wait !== undefined) res.setHeader('Retry-After', String(wait));
    return { ok: false, status: known.status, errors: fieldError(req.locale, known.field, known.key, wait === undefined ? undefined : { minutes: minutesFrom(wait) }) };
  }
}
