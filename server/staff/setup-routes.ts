import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../core/context.js';
import { keepValues } from '../web/forms.js';
import { formErrors, zodFormErrors, type FormErrors } from '../web/form-errors.js';
import { LOCALES } from '../core/i18n/index.js';
import { completeSetup, consumeEscrowToken, setupTokenValid } from '../core/setup/service.js';
import { initEscrow } from '../core/escrow/service.js';

const FIELDS = ['organisationName', 'defaultLocale', 'adminUsername', 'custodianUsername', 'escrow'] as const;

const username = (key: string) => z.string({ error: key }).trim().min(1, { error: key }).max(64, { error: 'staff.errors.tooLong' });
const setupSchema = z
  .object({
    organisationName: z.string({ error: 'setup.errors.organisationName' }).trim().min(1, { error: 'setup.errors.organisationName' }).max(100, { error: 'settings.errors.tooLong' }),
    defaultLocale: z.enum(LOCALES, { error: 'settings.errors.choice' }),
    adminUsername: username('setup.errors.adminUsername'),
    custodianUsername: username('setup.errors.custodianUsername'),
    escrow: z.enum(['server', 'offline'], { error: 'settings.errors.choice' }),
  })
  .refine((v) => v.adminUsername !== v.custodianUsername, { path: ['custodianUsername'], error: 'setup.errors.sameUsername' });

/**
 * /staff/setup/<token>: the first-run pages (server/core/setup). No sign-in exists yet; the
 * one-time token from the server's log is the only credential, and it is consumed on submission.
 */
export function setupRoutes(ctx: AppContext): Router {
  const router = Router();

  const invalid = (res: Response) => res.status(410).render('setup-invalid', { layout: 'staff', titleKey: 'setup.title' });
  const renderForm = (req: Request, res: Response, status: number, values: Record<string, string>, errors?: FormErrors) =>
    res.status(status).render('setup', { layout: 'staff', titleKey: 'setup.title', token: req.params.token, values, errors });

  router.get('/staff/setup/:token', async (req, res) => {
    if (!(await setupTokenValid(ctx, String(req.params.token)))) return invalid(res);
    renderForm(req, res, 200, { defaultLocale: 'zh-CN', escrow: 'server' });
  });

  router.post('/staff/setup/:token', async (req, res) => {
    const values = keepValues(req.body, [...FIELDS]);
    const parsed = setupSchema.safeParse(req.body);
    if (!parsed.success) return renderForm(req, res, 400, values, zodFormErrors(req.locale, parsed.error, { order: FIELDS }));
    const result = await completeSetup(ctx, String(req.params.token), parsed.data);
    if (!result.ok && result.reason === 'token') return invalid(res);
    if (!result.ok) return renderForm(req, res, 400, values, formErrors(req.locale, result.reason === 'invalid' ? result.errors : [], { order: FIELDS }));
    res.render('setup-done', { layout: 'staff', titleKey: 'setup.doneTitle', admin: result.admin, custodian: result.custodian, adminUsername: parsed.data.adminUsername, custodianUsername: parsed.data.custodianUsername, escrowToken: result.escrowToken });
  });

  // The escrow key pair is made only when this one-time form is sent; the public key and its audit
  // row commit first, then the private key goes out once as a download and is not kept anywhere.
  router.post('/staff/setup/escrow/download', async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    if (!(await consumeEscrowToken(ctx, token))) return invalid(res);
    const result = await initEscrow(ctx.database.db, ctx.config.public.url.origin, {
      deliver: async (keyFile) => {
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.setHeader('Content-Disposition', 'attachment; filename="parcelguard-escrow-private.key"');
        res.setHeader('Cache-Control', 'no-store');
        res.send(keyFile);
      },
    });
    if (result === 'exists') res.status(409).render('setup-invalid', { layout: 'staff', titleKey: 'setup.title', escrowExists: true });
  });

  return router;
}
