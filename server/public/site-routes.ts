import { Router } from 'express';
import { CATEGORY_GROUPS } from '../core/intake/taxonomy.js';

/** The landing page. (The language switch and /healthz are part of every app: web/app.ts.) */
export function siteRoutes(): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.render('site/landing', { categoryGroups: CATEGORY_GROUPS });
  });
  return router;
}
