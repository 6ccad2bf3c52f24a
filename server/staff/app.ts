import { Router, type Express } from 'express';
import type { AppContext } from '../core/context.js';
import { buildApp } from '../web/app.js';
import { staffAuthRoutes } from './auth-routes.js';
import { staffEnrolRoutes } from './enrol-routes.js';
import { staffAccountRoutes } from './account-routes.js';
import { keyHolderRoutes } from './keyholder-routes.js';
import { staffAdminRoutes } from './admin-routes.js';
import { organisationRoutes } from './organisations-routes.js';
import { settingsRoutes } from './settings-routes.js';
import { queueRoutes } from './queue-routes.js';
import { caseRoutes } from './cases/routes.js';
import { custodyRoutes } from './custody-routes.js';
import { referralRoutes } from './referral-routes.js';
import { alertRoutes } from './alerts-routes.js';
import { staffRewardRoutes } from './reward-routes.js';
import { setupRoutes } from './setup-routes.js';
import { consoleRoutes } from './console-routes.js';
import { statsRoutes } from './stats-routes.js';
import { LOGO_UPLOAD_ROUTE, logoRoutes } from './logo-routes.js';
import { staffCsrfRejected } from './resume.js';

/**
 * The staff workspace: every page under /staff (the prefix stays, so a proxy can also route by
 * path). It has none of the public pages. One route takes a file (the organisation's logo); every
 * other multipart body is refused before it is parsed.
 *   /staff/login, /staff/logout, /staff/recover           — auth-routes.ts
 *   /staff/enrol/<token>, /staff/enrol/{recovery,totp,done} — enrol-routes.ts
 *   /staff/account/password                               — account-routes.ts
 *   /staff/account, /staff/keyholders…                    — keyholder-routes.ts
 *   /staff/admin/staff…, /staff/admin/orgs…               — admin-routes.ts, organisations-routes.ts
 *   /staff/admin/settings, /staff/admin/settings/logo      — settings-routes.ts, logo-routes.ts
 *   /staff (queue), /staff/cases/…                        — queue-routes.ts, cases/routes.ts
 *   /staff/identity-requests…, /staff/custody/handover    — custody-routes.ts
 *   /staff/cases/:n/referrals…                            — referral-routes.ts
 *   /staff/admin/alerts…, /staff/account/alerts…          — alerts-routes.ts
 *   /staff/setup/<token>, /staff/setup/escrow/download     — setup-routes.ts (first run)
 *   /staff/admin/console…, /staff/admin/posters…, CSV import — console-routes.ts
 *   /staff/stats, /staff/stats/monthly, exports            — stats-routes.ts
 */
export function createStaffApp(ctx: AppContext): Express {
  const routes = Router();
  routes.use(staffAuthRoutes(ctx));
  routes.use(staffEnrolRoutes(ctx));
  routes.use(staffAccountRoutes(ctx));
  routes.use(keyHolderRoutes(ctx));
  routes.use(staffAdminRoutes(ctx));
  routes.use(organisationRoutes(ctx));
  routes.use(settingsRoutes(ctx));
  routes.use(queueRoutes(ctx));
  routes.use(caseRoutes(ctx));
  routes.use(custodyRoutes(ctx));
  routes.use(referralRoutes(ctx));
  routes.use(alertRoutes(ctx));
  routes.use(staffRewardRoutes(ctx));
  routes.use(setupRoutes(ctx));
  routes.use(consoleRoutes(ctx));
  routes.use(statsRoutes(ctx));
  routes.use(logoRoutes(ctx));
  return buildApp(
    ctx,
    {
      site: ctx.config.staff,
      views: 'staff',
      layout: 'staff',
      prefix: '/staff',
      csrfCookie: 'staff_csrf',
      sessionCookies: ['staff'],
      fileRoutes: [LOGO_UPLOAD_ROUTE],
      onCsrfRejected: staffCsrfRejected(ctx),
    },
    routes,
  );
}
