import express, { Router, type Express, type RequestHandler } from 'express';
import cookieParser from 'cookie-parser';
import { currentLogo, logoImage } from '../core/settings/logo.js';
import { readSettings } from '../core/settings/service.js';
import type { AppContext } from '../core/context.js';
import type { Site } from '../core/config.js';
import type { CookieKind } from './cookies.js';
import { securityHeaders, noStore } from './security.js';
import { createCsrf } from './csrf.js';
import { languageSwitch, localeMiddleware } from './locale.js';
import { requestLogger } from './request-logger.js';
import { errorHandler, notFound, type CsrfRejectedHandler } from './errors.js';
import { setupViews } from './views.js';
import { projectPath } from '../core/paths.js';

const STATIC_DIR = projectPath('public');

/** What distinguishes the two apps; everything else about them is built here, once. */
export type Audience = {
  readonly site: Site;
  /** Views of this audience (views/public or views/staff); shared views and partials are added. */
  readonly views: 'public' | 'staff';
  /** Layout for pages and error pages. */
  readonly layout: 'public' | 'staff';
  /** Path prefix of this app's own pages ('' or '/staff'); the language switch lives under it. */
  readonly prefix: string;
  readonly csrfCookie: CookieKind;
  readonly sessionCookies: readonly CookieKind[];
  /** The only POST routes that may send multipart bodies (see web/csrf.ts). */
  readonly fileRoutes: readonly string[];
  /** Optional: answers a form refused by the CSRF check itself (e.g. a sign-in page keeping the text). */
  readonly onCsrfRejected?: CsrfRejectedHandler;
};

/**
 * One Express app for one audience: security headers, request log, static files, no-store,
 * cookies, urlencoded bodies, locale, CSRF on every state-changing request, then `routes`,
 * a 404 fall-through and the one error handler. It never listens: main.ts does, and tests
 * drive it in-process.
 */
export function buildApp(ctx: AppContext, audience: Audience, routes: Router): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy);
  setupViews(app, audience.views, ctx.config.env === 'production');
  // Read by both layouts: `npm run demo` marks every page as invented data.
  app.locals.demoMode = ctx.config.demo;

  app.use(securityHeaders(audience.site));
  app.use(requestLogger(ctx.logger));
  app.use('/static', express.static(STATIC_DIR, { index: false, fallthrough: true, maxAge: '1h' }));
  app.get('/healthz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    try {
      await ctx.database.ping();
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });

  app.get(`${audience.prefix}/logo/:file`, serveLogo(ctx));

  app.use(noStore);
  app.use(cookieParser());
  app.use(express.urlencoded({ extended: false, limit: ctx.config.bodyLimitBytes, parameterLimit: 500 }));
  app.use(localeMiddleware(audience.site, `${audience.prefix}/lang`));
  app.use(organisationLocals(ctx, audience.prefix));

  const csrf = createCsrf({
    site: audience.site,
    secret: ctx.config.secrets.csrfSecret,
    cookie: audience.csrfCookie,
    sessionCookies: audience.sessionCookies,
    fileRoutes: audience.fileRoutes,
  });
  app.use(csrf.protect);
  app.use(csrf.provideToken);

  app.get(`${audience.prefix}/lang/:locale`, languageSwitch(audience.site, audience.prefix));
  app.use(routes);

  app.use(notFound);
  // A form refused by the CSRF check is answered with a fresh token for the page that keeps its text.
  const onCsrfRejected = audience.onCsrfRejected;
  const keepRefusedForm: CsrfRejectedHandler | undefined = onCsrfRejected
    ? (req, res, cause) => {
        csrf.provideToken(req, res, () => undefined);
        return onCsrfRejected(req, res, cause);
      }
    : undefined;
  app.use(errorHandler(ctx.logger, audience.layout, keepRefusedForm));
  return app;
}

/** The organisation's logo, addressed by its digest: the same address is always the same image. */
function serveLogo(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    const digest = /^([0-9a-f]{32})\.png$/.exec(String(req.params.file ?? ''))?.[1];
    const image = digest ? await logoImage(ctx.database.db, digest) : null;
    if (!image) return next();
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.type('image/png').send(Buffer.from(image));
  };
}

/** The organisation's name and logo (admin settings) in every page header and on referral sheets. */
function organisationLocals(ctx: AppContext, prefix: string): RequestHandler {
  return (_req, res, next) => {
    Promise.all([readSettings(ctx), currentLogo(ctx.database.db)]).then(
      ([settings, logo]) => {
        res.locals.organisationName = settings['organisation.name'] || null;
        res.locals.logo = logo && { url: `${prefix}/logo/${logo.digest}.png`, width: logo.width, height: logo.height };
        next();
      },
      () => next(), // the database is down: the page (or its error page) goes without them
    );
  };
}
