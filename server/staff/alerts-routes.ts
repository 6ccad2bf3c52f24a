import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../core/context.js';
import { NotFoundError } from '../core/errors.js';
import { formErrors, zodFormErrors, type FormErrors } from '../web/form-errors.js';
import { countOutbox, findStaffAlertPreferences, listChannels, listFailedAlerts } from '../core/alerts/repository.js';
import {
  addChannel,
  alertPreferencesSchema,
  CHANNEL_KINDS,
  channelSchema,
  DIGESTS,
  enableChannel,
  removeChannel,
  sendChannelTest,
  sendEmailTest,
  setAlertPreferences,
  type TestOutcome,
} from '../core/alerts/service.js';
import { principalOf, requireStaff } from './guard.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NOTICES = ['added', 'deleted', 'changed', 'staffSaved'] as const;

type PageState = { status?: number; errors?: FormErrors; typed?: Record<string, string>; test?: TestOutcome; staffErrors?: { id: string; errors: FormErrors } };

const body = (req: Request) => (req.body ?? {}) as Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 2100) : '');
const notFound = (req: Request) => formErrors(req.locale, [{ field: 'form', messageKey: 'alerts.errors.notFound' }]);

async function renderAdmin(ctx: AppContext, req: Request, res: Response, state: PageState = {}) {
  const db = ctx.database.db;
  const [channels, failed, counts, staff] = await Promise.all([
    listChannels(db),
    listFailedAlerts(db),
    countOutbox(db),
    db.selectFrom('staff').select(['id', 'username', 'email', 'alert_digest', 'status']).where('status', '!=', 'deactivated').orderBy('username').execute(),
  ]);
  const notice = NOTICES.find((n) => n === req.query.done);
  const saved = typeof req.query.who === 'string' ? staff.find((s) => s.id === req.query.who)?.username : undefined;
  res.status(state.status ?? 200).render('admin-alerts', {
    layout: 'staff',
    titleKey: 'alerts.admin.title',
    channels: channels.map((c) => ({ ...c, kindLabel: `alerts.kind.${c.kind}` })),
    kinds: CHANNEL_KINDS,
    digests: DIGESTS,
    staff: staff.map((s) => ({ ...s, errors: state.staffErrors?.id === s.id ? state.staffErrors.errors : undefined })),
    failed,
    counts: { pending: (counts.pending ?? 0) + (counts.sending ?? 0), delivered: counts.delivered ?? 0, failed: counts.failed ?? 0 },
    typed: state.typed ?? { kind: 'dingtalk' },
    errors: state.errors,
    test: state.test,
    notice,
    savedUsername: saved,
  });
}

// Own settings ---------------------------------------------------------------------------------

function postOwnPreferences(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const me = principalOf(req);
    const parsed = alertPreferencesSchema.safeParse({ email: str(body(req).email), digest: str(body(req).digest) });
    if (!parsed.success) {
      const prefs = await findStaffAlertPreferences(ctx.database.db, me.id);
      return res.status(422).render('account-alerts', {
        layout: 'staff',
        titleKey: 'alerts.account.title',
        alerts: { ...prefs, email: str(body(req).email) },
        digests: DIGESTS,
        errors: zodFormErrors(req.locale, parsed.error, { order: ['email', 'digest'], idPrefix: 'alerts-' }),
      });
    }
    await setAlertPreferences(ctx, me.id, me.id, parsed.data);
    res.redirect(303, '/staff/account?done=alerts#alerts-title');
  };
}

function postOwnTest(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const me = principalOf(req);
    const test = await sendEmailTest(ctx, me.id);
    const prefs = await findStaffAlertPreferences(ctx.database.db, me.id);
    res.status(test.ok ? 200 : 502).render('account-alerts', { layout: 'staff', titleKey: 'alerts.account.title', alerts: prefs, digests: DIGESTS, test });
  };
}

// Admin page -----------------------------------------------------------------------------------

function postChannel(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const typed = { kind: str(body(req).kind), name: str(body(req).name), url: str(body(req).url) };
    const parsed = channelSchema.safeParse({ ...typed, secret: str(body(req).secret) });
    if (!parsed.success) {
      const errors = zodFormErrors(req.locale, parsed.error, { order: ['kind', 'name', 'url', 'secret'], idPrefix: 'channel-' });
      return renderAdmin(ctx, req, res, { status: 422, typed, errors });
    }
    await addChannel(ctx, principalOf(req).id, parsed.data);
    res.redirect(303, '/staff/admin/alerts?done=added');
  };
}

function postChannelAction(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const id = String(req.params.channelId);
    const action = String(req.params.action);
    if (!UUID.test(id) || !['enable', 'disable', 'delete', 'test'].includes(action)) throw new NotFoundError();
    const me = principalOf(req).id;
    if (action === 'test') {
      const test = await sendChannelTest(ctx, me, id);
      if (!test) return renderAdmin(ctx, req, res, { status: 404, errors: notFound(req) });
      return renderAdmin(ctx, req, res, { status: test.ok ? 200 : 502, test });
    }
    const done = action === 'delete' ? await removeChannel(ctx, me, id) : await enableChannel(ctx, me, id, action === 'enable');
    if (!done) return renderAdmin(ctx, req, res, { status: 404, errors: notFound(req) });
    res.redirect(303, `/staff/admin/alerts?done=${action === 'delete' ? 'deleted' : 'changed'}`);
  };
}

function postStaffPreferences(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const id = String(req.params.staffId);
    if (!UUID.test(id)) throw new NotFoundError();
    const parsed = alertPreferencesSchema.safeParse({ email: str(body(req).email), digest: str(body(req).digest) });
    if (!parsed.success) {
      const errors = zodFormErrors(req.locale, parsed.error, { order: ['email', 'digest'], idPrefix: `staff-${id}-` });
      return renderAdmin(ctx, req, res, { status: 422, staffErrors: { id, errors } });
    }
    if (!(await setAlertPreferences(ctx, principalOf(req).id, id, parsed.data))) throw new NotFoundError();
    res.redirect(303, `/staff/admin/alerts?done=staffSaved&who=${id}`);
  };
}

/**
 * Alerts in the staff app: each person's own e-mail and digest choice (POST /staff/account/alerts,
 * shown on /staff/account), and the admin page /staff/admin/alerts: group channels, test alerts,
 * every account's address, and the failed deliveries with their reasons. Every change is audited.
 */
export function alertRoutes(ctx: AppContext): Router {
  const router = Router();
  const anyone = requireStaff(ctx);
  const admin = requireStaff(ctx, { admin: true });

  router.post('/staff/account/alerts', anyone, postOwnPreferences(ctx));
  router.post('/staff/account/alerts/test', anyone, postOwnTest(ctx));

  router.get('/staff/admin/alerts', admin, (req, res) => renderAdmin(ctx, req, res));
  router.post('/staff/admin/alerts/channels', admin, postChannel(ctx));
  router.post('/staff/admin/alerts/channels/:channelId/:action', admin, postChannelAction(ctx));
  router.post('/staff/admin/alerts/email-test', admin, async (req, res) => {
    const test = await sendEmailTest(ctx, principalOf(req).id);
    return renderAdmin(ctx, req, res, { status: test.ok ? 200 : 502, test });
  });
  router.post('/staff/admin/alerts/staff/:staffId', admin, postStaffPreferences(ctx));

  return router;
}
