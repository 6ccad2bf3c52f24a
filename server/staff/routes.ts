import { Router } from 'express';
import type { AppContext } from '../context.js';
import { staffAuthRoutes } from './auth-routes.js';
import { staffEnrolRoutes } from './enrol-routes.js';
import { staffAccountRoutes } from './account-routes.js';
import { staffAdminRoutes } from './admin-routes.js';

/**
 * The staff side's account pages. The queue (/staff, /staff/cases/*) is mounted separately and
 * guarded with requireStaff from ./guard.ts.
 *   /staff/login, /staff/logout, /staff/recover           — auth-routes.ts
 *   /staff/enrol/<token>, /staff/enrol/{recovery,totp}    — enrol-routes.ts
 *   /staff/account/password                               — account-routes.ts
 *   /staff/admin/staff[/:id/{deactivate,enrol-link}]      — admin-routes.ts (admins only)
 */
export function staffRoutes(ctx: AppContext): Router {
  const router = Router();
  router.use(staffAuthRoutes(ctx));
  router.use(staffEnrolRoutes(ctx));
  router.use(staffAccountRoutes(ctx));
  router.use(staffAdminRoutes(ctx));
  return router;
}
