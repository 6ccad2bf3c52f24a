import { Router, type Request } from 'express';
import type { AppContext } from '../core/context.js';
import { requireStaff, type StaffPrincipal } from './guard.js';
import { CATEGORY_GROUPS } from '../core/intake/taxonomy.js';
import { PROVINCE_CODES } from '../core/reports/model.js';
import { queueQuerySchema, QUEUE_SORTS, QUEUE_STATUSES, DUE_FILTERS } from '../core/queue/schema.js';
import { REPORT_CHANNELS, SEVERITIES } from '../core/reports/lifecycle.js';
import { loadQueue } from '../core/queue/service.js';
import { needsLegalAckCheck, slaPolicy } from '../core/queue/sla.js';
import { readSettings } from '../core/settings/service.js';
import { fieldErrors } from '../web/case-form-errors.js';
import { keyHolderOverview } from '../core/accounts/approval.js';

/** The options every rendering of the filter form needs. */
const filterOptions = {
  statuses: QUEUE_STATUSES,
  sorts: QUEUE_SORTS,
  severities: SEVERITIES,
  channels: REPORT_CHANNELS,
  dueFilters: DUE_FILTERS,
  categoryGroups: CATEGORY_GROUPS,
  provinces: PROVINCE_CODES,
};

/** The query string as typed, for re-filling the filter form (strings only; nothing sealed ever travels here). */
function typedFilters(req: Request): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req.query)) {
    if (typeof v === 'string') out[k] = v.slice(0, 100);
    else if (Array.isArray(v)) out[k] = v.filter((x) => typeof x === 'string').slice(0, 40);
  }
  if (typeof out.category === 'string') out.category = [out.category];
  return out;
}

/**
 * The reviewer's queue. A GET form: filtering changes nothing and carries only plaintext metadata,
 * so a filtered queue can be bookmarked and the back button works.
 */
export function queueRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/staff', requireStaff(ctx), async (req, res) => {
    const staff = req.staff!;
    const parsed = queueQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      res.status(400).render('queue', {
        layout: 'staff',
        titleKey: 'review.title',
        ...filterOptions,
        filters: typedFilters(req),
        errors: fieldErrors(parsed.error, 'review.errors.invalid'),
        isAdmin: staff.role === 'admin',
      });
      return;
    }
    const view = await loadQueue(ctx.database.db, staff, parsed.data, { legalAckBound: needsLegalAckCheck(slaPolicy(await readSettings(ctx))) });
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(typedFilters(req))) {
      if (k === 'after') continue;
      for (const item of [v].flat()) query.append(k, String(item));
    }
    res.render('queue', {
      layout: 'staff',
      titleKey: 'review.title',
      ...filterOptions,
      filters: { ...typedFilters(req), status: parsed.data.status, sort: parsed.data.sort },
      view,
      keyHolderNotice: await keyHolderNotice(ctx, staff),
      isAdmin: staff.role === 'admin',
      left: req.query.done === 'left',
      firstPageHref: `/staff?${query.toString()}`,
      nextPageHref: view.nextCursor ? `/staff?${withParam(query, 'after', view.nextCursor)}` : null,
      isFirstPage: !parsed.data.after,
      myCasesHref: '/staff?assignee=me&status=open',
    });
  });

  return router;
}

/** The banner every key holder sees until they acknowledge each new key holder (custodians: also who waits). */
async function keyHolderNotice(ctx: AppContext, staff: StaffPrincipal) {
  if (staff.role !== 'reviewer') return null;
  const overview = await keyHolderOverview({ db: ctx.database.db }, staff.id);
  const awaiting = staff.isCustodian ? overview.awaiting.filter((a) => a.id !== staff.id).length : 0;
  return overview.unseen > 0 || awaiting > 0 ? { unseen: overview.unseen, awaiting } : null;
}

function withParam(query: URLSearchParams, key: string, value: string): string {
  const copy = new URLSearchParams(query);
  copy.set(key, value);
  return copy.toString();
}
