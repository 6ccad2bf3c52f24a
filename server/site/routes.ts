import { Router } from 'express';
import type { AppContext } from '../context.js';
import { CATEGORY_GROUPS } from '../intake/taxonomy.js';
import { isLocale } from '../i18n/index.js';
import { cookieName, cookieOptions } from '../http/cookies.js';
import { safeLocalPath } from '../http/locale.js';

/** Public pages that need no account: landing, language switch, health check. */
export function siteRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.render('site/landing', { categoryGroups: CATEGORY_GROUPS });
  });

  // A plain link, so switching language works without JavaScript. The target must be a local path.
  router.get('/lang/:locale', (req, res) => {
    const locale = req.params.locale;
    if (isLocale(locale)) {
      res.cookie(cookieName(ctx.config, 'lang'), locale, cookieOptions(ctx.config, { maxAge: 365 * 24 * 3600 * 1000 }));
    }
    res.redirect(303, safeLocalPath(req.query.next));
  });

  router.get('/healthz', async (_req, res) => {
    try {
      await ctx.database.ping();
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });

  return router;
}
