import type { Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../core/context.js';
import type { Config } from '../core/config.js';
import { cookieName, cookieOptions } from '../web/cookies.js';
import { ForbiddenError, NotFoundError } from '../core/errors.js';
import { authenticateStaff, type StaffPrincipal } from '../core/accounts/auth.js';
import { sessionLastsUntil } from '../core/sessions/store.js';
import { isResumable, keptFields, renderResumeLogin } from './resume.js';

export type { StaffPrincipal } from '../core/accounts/auth.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by requireStaff: the signed-in staff member and their unwrapped private key. */
    staff?: StaffPrincipal;
  }
}

/**
 * The staff cookie carries `sessionId.sessionSecret`. SameSite=Strict: no link or form on another
 * site can arrive with it; HttpOnly: no script can read it. No Max-Age, so it ends with the browser;
 * the server enforces the idle and absolute limits either way.
 */
export function setStaffCookie(res: Response, config: Config, value: string): void {
  res.cookie(cookieName(config.staff, 'staff'), value, cookieOptions(config.staff, { sameSite: 'strict' }));
}

export function clearStaffCookie(res: Response, config: Config): void {
  res.clearCookie(cookieName(config.staff, 'staff'), cookieOptions(config.staff, { sameSite: 'strict' }));
}

export function staffCookie(req: Request, config: Config): unknown {
  return req.cookies?.[cookieName(config.staff, 'staff')];
}

/**
 * Guards staff pages. No valid session → 303 to the sign-in page. A signed-in member without the
 * role (admin) or flag (custodian) the route needs → 403. An analyst (statistics only) gets 404 on
 * every route not opened to them with `analyst: true`: to them, cases, queues, keys and the
 * administration do not exist, so no page can show them a case number or a key holder. Checked on every request against the
 * database, so deactivation and sign-out take effect on every app instance at once.
 */
export function requireStaff(ctx: AppContext, opts: { admin?: boolean; custodian?: boolean; analyst?: boolean } = {}): RequestHandler {
  return async (req, res, next) => {
    const principal = await authenticateStaff({ db: ctx.database.db }, staffCookie(req, ctx.config));
    if (!principal) {
      // A case form whose session ended keeps its text: the sign-in page answers with it (resume.ts).
      if (req.method === 'POST' && isResumable(req.path)) return renderResumeLogin(res, 401, 'sessionEnded', { action: req.path, fields: keptFields(req.body) });
      // The cookie is left alone: it may belong to an enrolment still in progress.
      res.redirect(303, '/staff/login');
      return;
    }
    req.staff = principal;
    const sessionUntil = principal.sessionCreatedAt ? sessionLastsUntil('staff', principal.sessionCreatedAt, new Date()) : null;
    res.locals.staffUser = { username: principal.username, role: principal.role, isCustodian: principal.isCustodian, sessionUntil };
    if (principal.role === 'analyst' && !opts.analyst) throw new NotFoundError();
    if (opts.admin && principal.role !== 'admin') throw new ForbiddenError('staff.errors.adminOnly');
    if (opts.custodian && !principal.isCustodian) throw new ForbiddenError('staff.errors.custodianOnly');
    next();
  };
}

/** For handlers behind requireStaff: the principal, which the guard guarantees. */
export function principalOf(req: Request): StaffPrincipal {
  if (!req.staff) throw new ForbiddenError();
  return req.staff;
}
