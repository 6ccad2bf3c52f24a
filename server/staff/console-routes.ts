import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../core/context.js';
import { NotFoundError } from '../core/errors.js';
import { principalOf, requireStaff } from './guard.js';
import { formErrors, fieldError, type FormErrors } from '../web/form-errors.js';
import { idParam } from '../core/organisations/schema.js';
import { createInvite, outletPage } from '../core/organisations/service.js';
import { escrowStatus } from '../core/escrow/service.js';
import { readiness } from '../core/setup/service.js';
import { readSettings } from '../core/settings/service.js';
import { addAuthority, authoritiesWithFingerprints, importOutletsCsv, qrSvg, verifyAuditNow, type AuditVerification } from '../core/console/service.js';

/**
 * The admin console (admins only): escrow status (fingerprint and date, never the key), audit
 * verification on demand, receiving bodies with their key fingerprints, CSV import of outlets,
 * and printable A4 posters with a QR code drawn on the server.
 *   /staff/admin/console, /staff/admin/console/audit-verify, /staff/admin/console/authorities
 *   /staff/admin/orgs/import, /staff/admin/posters/public, /staff/admin/orgs/outlets/:id/poster
 */
export function consoleRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireStaff(ctx, { admin: true });

  type Extra = { verification?: AuditVerification; authorityErrors?: FormErrors; authorityValues?: Record<string, string>; added?: string };
  async function renderConsole(req: Request, res: Response, status = 200, extra: Extra = {}) {
    res.status(status).render('admin-console', {
      layout: 'staff',
      titleKey: 'console.title',
      escrow: await escrowStatus(ctx.database.db),
      authorities: await authoritiesWithFingerprints(ctx),
      readiness: await readiness(ctx),
      ...extra,
    });
  }

  router.get('/staff/admin/console', guard, (req, res) => renderConsole(req, res));

  router.post('/staff/admin/console/audit-verify', guard, async (req, res) => {
    const verification = await verifyAuditNow(ctx, principalOf(req).id);
    await renderConsole(req, res, 200, { verification });
  });

  router.post('/staff/admin/console/authorities', guard, async (req, res) => {
    const name = typeof req.body?.name === 'string' ? req.body.name : '';
    const publicKey = typeof req.body?.publicKey === 'string' ? req.body.publicKey : '';
    const result = await addAuthority(ctx, principalOf(req).id, name, publicKey);
    if (!result.ok) {
      return renderConsole(req, res, 422, { authorityValues: { name, publicKey }, authorityErrors: fieldError(req.locale, result.field, result.messageKey, undefined, { idPrefix: 'authority-' }) });
    }
    await renderConsole(req, res, 201, { added: result.fingerprint });
  });

  router.post('/staff/admin/orgs/import', guard, async (req, res) => {
    const csv = typeof req.body?.csv === 'string' ? req.body.csv : '';
    const result = await importOutletsCsv(ctx, principalOf(req).id, csv);
    if (!result.ok) {
      const errors = formErrors(
        req.locale,
        result.errors.map((e) => ({ field: `line-${e.line}`, messageKey: e.messageKey, vars: { ...e.vars, line: e.line } })),
        { fieldId: () => 'csv' },
      );
      return res.status(422).render('admin-import', { layout: 'staff', titleKey: 'console.csv.title', errors, csv });
    }
    res.status(201).render('admin-import', { layout: 'staff', titleKey: 'console.csv.title', imported: result });
  });

  router.get('/staff/admin/orgs/import', guard, (_req, res) => res.render('admin-import', { layout: 'staff', titleKey: 'console.csv.title' }));

  router.get('/staff/admin/posters/public', guard, async (_req, res) => {
    const url = ctx.config.public.url.href;
    const settings = await readSettings(ctx);
    res.render('poster-public', { layout: 'staff', titleKey: 'console.posters.publicTitle', locale: 'zh-CN', htmlLang: 'zh-Hans', poster: true, url, qr: await qrSvg(url), organisation: settings['organisation.name'] });
  });

  // POST: a staff-room poster carries a new invite code (codes are stored hashed and cannot be shown again).
  router.post('/staff/admin/orgs/outlets/:id/poster', guard, async (req, res) => {
    const parsed = idParam.safeParse(req.params.id);
    if (!parsed.success) throw new NotFoundError();
    const page = await outletPage(ctx.database.db, parsed.data);
    if (!page) throw new NotFoundError();
    const invite = await createInvite(ctx.database.db, { kind: 'staff', id: principalOf(req).id }, { outletId: parsed.data, days: 30, maxUses: 100 });
    const joinUrl = new URL('/employee/join', ctx.config.public.url).href;
    res.render('poster-staff', { layout: 'staff', titleKey: 'console.posters.staffTitle', locale: 'zh-CN', htmlLang: 'zh-Hans', poster: true, outlet: page.outlet, invite, joinUrl, qr: await qrSvg(joinUrl) });
  });

  return router;
}
