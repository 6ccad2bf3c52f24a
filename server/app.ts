import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import cookieParser from 'cookie-parser';
import type { AppContext } from './context.js';
import { securityHeaders, noStore } from './http/security.js';
import { createCsrf } from './http/csrf.js';
import { localeMiddleware } from './http/locale.js';
import { requestLogger } from './http/logging.js';
import { errorHandler, notFound } from './http/errors.js';
import { setupViews } from './http/views.js';
import { siteRoutes } from './site/routes.js';
import { intakeRoutes } from './intake/routes.js';
import { followupRoutes } from './followup/routes.js';
import { staffRoutes } from './staff/routes.js';
import { employeeAccountRoutes } from './employees/routes.js';
import { employeeTipRoutes } from './employees/tip-routes.js';
import { employeeReportRoutes } from './employees/report-routes.js';
import { organisationRoutes } from './organisations/routes.js';
import { guideRoutes } from './guide/routes.js';
import { reviewRoutes } from './review/routes.js';
import { caseRoutes } from './cases/routes.js';
import { custodyRoutes } from './custody/routes.js';
import { referralRoutes } from './referral/routes.js';

const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../public');

/** Builds the Express app. It never listens: main.ts does, and tests drive it in-process. */
export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy);
  setupViews(app, ctx.config.env === 'production');

  app.use(securityHeaders(ctx.config));
  app.use(requestLogger(ctx.logger));
  app.use('/static', express.static(PUBLIC_DIR, { index: false, fallthrough: true, maxAge: '1h' }));

  app.use(noStore);
  app.use(cookieParser());
  app.use(express.urlencoded({ extended: false, limit: ctx.config.bodyLimitBytes, parameterLimit: 500 }));
  app.use(localeMiddleware(ctx.config));

  const csrf = createCsrf(ctx.config);
  app.use(csrf.protect);
  app.use(csrf.provideToken);

  app.use(siteRoutes(ctx));
  app.use(intakeRoutes(ctx));
  app.use(followupRoutes(ctx));
  app.use(staffRoutes(ctx));
  app.use(employeeAccountRoutes(ctx));
  app.use(employeeTipRoutes(ctx));
  app.use(employeeReportRoutes(ctx));
  app.use(organisationRoutes(ctx));
  app.use(guideRoutes());
  app.use(reviewRoutes(ctx));
  app.use(caseRoutes(ctx));
  app.use(custodyRoutes(ctx));
  app.use(referralRoutes(ctx));

  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
