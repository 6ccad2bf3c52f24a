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

/**
 * Employee-only pages. Loads the session (which unwraps the account's private key with the
 * cookie's secret half), re-checks the account is still active, and puts the principal on the
 * request. Anyone else is sent to the sign-in page.
 */
export function requireEmployee(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    const cookie = req.cookies?.[employeeCookieName(ctx.config)];
    const session = await loadSession(ctx.database.db, 'employee', cookie);
    const account = session ? await findEmployeeAccount(ctx.database.db, session.principalId) : undefined;
    if (!session?.privateKey || !account?.active) {
      if (session) await destroySession(ctx.database.db, cookie);
      if (cookie) clearEmployeeCookie(ctx.config, res);
      res.redirect(303, '/employee/login');
      return;
    }
    req.employee = { id: account.id, outletId: account.outletId, publicKey: account.publicKey, privateKey: session.privateKey };
    res.locals.employeeSignedIn = true;
    next();
  };
}

/** True when the request carries a live employee session (for the sign-in page's redirect). */
export async function hasEmployeeSession(ctx: AppContext, req: Request): Promise<boolean> {
  const session = await loadSession(ctx.database.db, 'employee', req.cookies?.[employeeCookieName(ctx.config)]);
  return session !== null;
}
