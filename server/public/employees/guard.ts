import type { Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../../core/context.js';
import type { Config } from '../../core/config.js';
import { cookieName, cookieOptions } from '../../web/cookies.js';
import { SESSION_POLICIES, destroySession, loadSession } from '../../core/sessions/store.js';
import { findEmployeeAccount } from '../../core/employees/repository.js';
import type { EmployeePrincipal } from '../../core/employees/principal.js';

declare module 'express-serve-static-core' {
  interface Request {
    employee?: EmployeePrincipal;
  }
}

export function employeeCookieName(config: Config): string {
  return cookieName(config.public, 'employee');
}

export function setEmployeeCookie(config: Config, res: Response, value: string): void {
  const maxAge = SESSION_POLICIES.employee.absoluteSeconds * 1000;
  res.cookie(employeeCookieName(config), value, cookieOptions(config.public, { maxAge }));
}

export function clearEmployeeCookie(config: Config, res: Response): void {
  res.clearCookie(employeeCookieName(config), cookieOptions(config.public));
}

/** Why a signed-in form arrived without a live session (named on the page that keeps its text). */
export type EndedCause = 'sessionEnded' | 'signedOut' | 'cookiesOff';

/**
 * The cookie came but its session has ended (idle or at its limit); no cookie came although others
 * did (signed out in another tab); or the browser sent no cookie at all (cookies off).
 */
export function endedCauseOf(config: Config, req: Request): EndedCause {
  if (req.cookies?.[employeeCookieName(config)]) return 'sessionEnded';
  return Object.keys(req.cookies ?? {}).length === 0 ? 'cookiesOff' : 'signedOut';
}

/**
 * The principal of a live employee session: loads the session (which unwraps the account's private
 * key with the cookie's secret half) and re-checks the account is still active. A session that
 * fails either check is destroyed.
 */
export async function employeeFromCookie(ctx: AppContext, cookie: string | undefined): Promise<{ employee: EmployeePrincipal; sessionUntil: Date } | null> {
  const session = await loadSession(ctx.database.db, 'employee', cookie);
  const account = session ? await findEmployeeAccount(ctx.database.db, session.principalId) : undefined;
  if (!session?.privateKey || !account?.active) {
    if (session) await destroySession(ctx.database.db, cookie);
    return null;
  }
  const employee = { id: account.id, outletId: account.outletId, publicKey: account.publicKey, privateKey: session.privateKey };
  return { employee, sessionUntil: employeeSessionUntil(session.createdAt) };
}

/** The latest a session opened at `createdAt` can last from now: shown as static text, no JavaScript. */
export function employeeSessionUntil(createdAt: Date, now = new Date()): Date {
  const policy = SESSION_POLICIES.employee;
  return new Date(Math.min(now.getTime() + policy.idleSeconds * 1000, createdAt.getTime() + policy.absoluteSeconds * 1000));
}

/**
 * Employee-only pages: puts the principal on the request. Anyone else is sent to the sign-in page,
 * except on a form given `onEnded`: that form's text must not be lost, so it answers itself (the
 * cookie is left as it is, so the CSRF token of the page that keeps the text still matches).
 */
export function requireEmployee(ctx: AppContext, opts: { onEnded?: (req: Request, res: Response, cause: EndedCause) => Promise<void> | void } = {}): RequestHandler {
  return async (req, res, next) => {
    const cookie = req.cookies?.[employeeCookieName(ctx.config)];
    const signedIn = await employeeFromCookie(ctx, cookie);
    if (!signedIn) {
      if (opts.onEnded) return opts.onEnded(req, res, endedCauseOf(ctx.config, req));
      if (cookie) clearEmployeeCookie(ctx.config, res);
      res.redirect(303, '/employee/login');
      return;
    }
    req.employee = signedIn.employee;
    res.locals.employeeSignedIn = true;
    res.locals.employeeSessionUntil = signedIn.sessionUntil;
    next();
  };
}

/** True when the request carries a live employee session (for the sign-in page's redirect). */
export async function hasEmployeeSession(ctx: AppContext, req: Request): Promise<boolean> {
  const session = await loadSession(ctx.database.db, 'employee', req.cookies?.[employeeCookieName(ctx.config)]);
  return session !== null;
}
