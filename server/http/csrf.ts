import { doubleCsrf } from 'csrf-csrf';
import type { Request, RequestHandler } from 'express';
import type { Config } from '../config.js';
import { cookieName, cookieOptions } from './cookies.js';

export type Csrf = {
  /** Rejects state-changing requests without a valid token (forms send `_csrf`). */
  protect: RequestHandler;
  /** Puts a token for the current visitor into res.locals.csrfToken for the views. */
  provideToken: RequestHandler;
  /** For multipart bodies parsed after the middleware ran: validate once `_csrf` is known. */
  validate(req: Request, token: string | undefined): boolean;
};

/**
 * Multipart bodies (file uploads) are streamed by the route itself, so the token is not known when
 * the middleware runs. Such requests pass the middleware and MUST be checked by the upload parser
 * with `res.locals.validateCsrf(token)` as soon as the `_csrf` field arrives (forms put it first),
 * before any file byte is processed.
 */
export function isMultipart(req: Request): boolean {
  return /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
}

/**
 * Double-submit CSRF tokens (csrf-csrf), HMAC-bound to the visitor's session cookie when there is
 * one, so a token minted for one signed-in session is useless in another. Anonymous reporters have
 * no session; for them the signed cookie/body pair alone is checked, which still defeats a
 * cross-site form because the attacker can neither read nor set the cookie.
 */
export function createCsrf(config: Config): Csrf {
  const sessionCookies = (['staff', 'employee', 'followup'] as const).map((k) => cookieName(config, k));
  const { doubleCsrfProtection, generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => config.secrets.csrfSecret,
    getSessionIdentifier: (req) => sessionCookies.map((name) => String(req.cookies?.[name] ?? '')).join('|'),
    cookieName: cookieName(config, 'csrf'),
    cookieOptions: cookieOptions(config, { sameSite: 'strict' }),
    skipCsrfProtection: (req) => isMultipart(req),
    getCsrfTokenFromRequest: (req) => {
      const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
      return typeof fromBody === 'string' ? fromBody : req.headers['x-csrf-token'];
    },
  });
  const validate = (req: Request, token: string | undefined): boolean => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    req.body = { ...body, _csrf: token };
    return validateRequest(req);
  };
  return {
    protect: doubleCsrfProtection,
    provideToken: (req, res, next) => {
      res.locals.csrfToken = generateCsrfToken(req, res);
      res.locals.validateCsrf = (token: string | undefined) => validate(req, token);
      next();
    },
    validate,
  };
}
