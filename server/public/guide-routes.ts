import { Router } from 'express';
import { CATEGORY_GROUPS, IMMEDIATE_DANGER_CODES } from '../core/intake/taxonomy.js';

const COUNTER_SITUATIONS = ['spy', 'secrets', 'metals', 'species', 'realName'] as const;
const HANDLING_STEPS = ['dontOpen', 'hold', 'note', 'dontAlert', 'photos', 'confidential', 'report'] as const;

/**
 * /guide: what to look for at the counter, per category, and what to do. Public and static: no
 * account, no cookie read, so a courier can open it on any phone without leaving a trace here.
 */
export function guideRoutes(): Router {
  const router = Router();
  const categoryGroups = CATEGORY_GROUPS.map((g) => ({
    group: g.group,
    categories: g.codes.map((code) => ({ code, callNow: IMMEDIATE_DANGER_CODES.includes(code) })),
  }));
  router.get('/guide', (_req, res) => {
    res.render('guide/index', {
      titleKey: 'guide.title',
      counterSituations: COUNTER_SITUATIONS,
      handlingSteps: HANDLING_STEPS,
      categoryGroups,
    });
  });
  return router;
}
