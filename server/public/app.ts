import { Router, type Express } from 'express';
import type { AppContext } from '../core/context.js';
import { buildApp } from '../web/app.js';
import { siteRoutes } from './site-routes.js';
import { guideRoutes } from './guide-routes.js';
import { intakeRoutes } from './intake/routes.js';
import { followupCsrfRejected, followupRoutes } from './followup/routes.js';
import { employeeAccountRoutes } from './employees/account-routes.js';
import { employeeCsrfRejected, employeeTipRoutes } from './employees/tip-routes.js';
import { employeeReportCsrfRejected, employeeReportRoutes } from './employees/report-routes.js';
import { rewardRoutes } from './reward-routes.js';
import { REPORT_FIELD_MAXLENGTH } from '../core/intake/schema.js';
import { REPLY_MAX } from '../core/followup/schema.js';

/** The `maxlength` of every free-text field of this site, read by any view as @root.fieldMax. */
export const PUBLIC_FIELD_MAXLENGTH = Object.freeze({ ...REPORT_FIELD_MAXLENGTH, reply: REPLY_MAX, note: REPLY_MAX });

/**
 * The routes that take files. Only these accept multipart bodies; their streaming parser checks
 * the CSRF token before the first file byte. Every other POST of this app refuses multipart.
 */
export const PUBLIC_FILE_ROUTES = ['/report', '/followup/files', '/employee/report', '/employee/tips/:caseNumber/files'] as const;

/**
 * The public reporting site: landing, guide, report form, receipt follow-up and the delivery
 * employees' pages. It has no staff route at all: /staff and everything under it is a 404 here.
 */
export function createPublicApp(ctx: AppContext): Express {
  const routes = Router();
  routes.use((_req, res, next) => {
    res.locals.fieldMax = PUBLIC_FIELD_MAXLENGTH;
    next();
  });
  routes.use(siteRoutes());
  routes.use(guideRoutes());
  routes.use(intakeRoutes(ctx));
  routes.use(followupRoutes(ctx));
  routes.use(employeeAccountRoutes(ctx));
  routes.use(employeeTipRoutes(ctx));
  routes.use(employeeReportRoutes(ctx));
  routes.use(rewardRoutes(ctx));
  const followupRefused = followupCsrfRejected(ctx);
  const employeeRefused = employeeCsrfRejected(ctx);
  const employeeReportRefused = employeeReportCsrfRejected(ctx);
  return buildApp(
    ctx,
    {
      site: ctx.config.public,
      views: 'public',
      layout: 'public',
      prefix: '',
      csrfCookie: 'csrf',
      sessionCookies: ['employee', 'followup'],
      fileRoutes: PUBLIC_FILE_ROUTES,
      // Each side answers a refused form of its own with the text kept and a sign-in on the same page.
      onCsrfRejected: (req, res, cause) => followupRefused(req, res, cause) || employeeRefused(req, res, cause) || employeeReportRefused(req, res, cause),
    },
    routes,
  );
}
