import { doubleCsrf } from 'csrf-csrf';
import { Router, type Request, type RequestHandler } from 'express';
import type { Site } from '../core/config.js';
import { HttpError } from '../core/errors.js';
import { cookieName, cookieOptions, type CookieKind } from './cookies.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set only on the routes an app lists as taking files: their streaming parser checks the token. */
    takesFiles?: boolean;
    /** Set by the multipart parser when the CSRF check refused a body: files it did not receive. */
    refusedFiles?: number;
  }
  interface Locals {
    csrfToken: string;
    /** For the streaming multipart parser: checks `_csrf` as soon as it arrives, before any file byte. */
    validateCsrf(token: string | undefined): boolean;
  }
}

export class CsrfRejected extends HttpError {
  constructor() {
    super(403, 'errors.csrfMessage', 'errors.csrfTitle');
  }
}

export function isMultipart(req: Request): boolean {
  return /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
}

export type CsrfPolicy = {
  readonly site: Site;
  readonly secret: string;
  /** This app's CSRF cookie. */
  readonly cookie: CookieKind;
  /** The session cookies a token is bound to, so a token minted for one session is useless in another. */
  readonly sessionCookies: readonly CookieKind[];
  /**
   * POST routes (Express paths) that take files. Only these may send multipart bodies; their
   * parser validates `_csrf` before it processes a single file byte. Every other multipart body
   * is refused before it is parsed.
   */
  readonly fileRoutes: readonly string[];
};

export type Csrf = {
  /** Mounted before every route: the one gate for state-changing requests of this app. */
  readonly protect: RequestHandler[];
  /** Puts a token for the current visitor into res.locals for the views. */
  readonly provideToken: RequestHandler;
};

/**
 * CSRF by construction. Every request that is not GET/HEAD/OPTIONS must carry a valid token
 * (csrf-csrf double submit, HMAC-bound to the visitor's session cookies), whatever route it is
 * for: there is no opt-in list. Multipart bodies cannot be checked before they are parsed, so they
 * are refused outright except on the app's declared file routes, whose streaming parser checks the
 * token first (server/web/multipart.ts). Anonymous reporters have no session; for them the signed
 * cookie/body pair alone is checked, which still defeats a cross-site form because the attacker
 * can neither read nor set the cookie.
 */
export function createCsrf(policy: CsrfPolicy): Csrf {
  const sessionCookies = policy.sessionCookies.map((k) => cookieName(policy.site, k));
  const { doubleCsrfProtection, generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => policy.secret,
    getSessionIdentifier: (req) => sessionCookies.map((name) => String(req.cookies?.[name] ?? '')).join('|'),
    cookieName: cookieName(policy.site, policy.cookie),
    cookieOptions: cookieOptions(policy.site, { sameSite: 'strict' }),
    skipCsrfProtection: (req) => req.takesFiles === true && isMultipart(req),
    getCsrfTokenFromRequest: (req) => {
      const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
      return typeof fromBody === 'string' ? fromBody : req.headers['x-csrf-token'];
    },
  });

  // Express's own path matching marks the file routes, so a listed route is exactly the route that handles it.
  const fileRoutes = Router();
  if (policy.fileRoutes.length > 0) {
    fileRoutes.post([...policy.fileRoutes], (req, _res, next) => {
      req.takesFiles = true;
      next();
    });
  }
  const refuseMultipart: RequestHandler = (req, _res, next) => {
    next(isMultipart(req) && !req.takesFiles ? new CsrfRejected() : undefined);
  };
  const protect: RequestHandler[] = [fileRoutes, refuseMultipart, doubleCsrfProtection];

  return {
    protect,
    provideToken: (req, res, next) => {
      res.locals.csrfToken = generateCsrfToken(req, res);
      res.locals.validateCsrf = (token: string | undefined) => {
        const body = (req.body ?? {}) as Record<string, unknown>;
        req.body = { ...body, _csrf: token };
        return validateRequest(req);
      };
      next();
    },
  };
}
