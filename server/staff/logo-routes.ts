import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../core/context.js';
import { LOGO_LIMITS, prepareLogo, removeLogo, saveLogo, type LogoRefusal } from '../core/settings/logo.js';
import { parseMultipart } from '../web/multipart.js';
import { isMultipart } from '../web/csrf.js';
import { formErrors } from '../web/form-errors.js';
import { principalOf, requireStaff } from './guard.js';

/** The staff app's only route that takes a file (web/csrf.ts checks the token before any file byte). */
export const LOGO_UPLOAD_ROUTE = '/staff/admin/settings/logo';

/** The organisation's logo: an administrator uploads or removes it; both are audited. */
export function logoRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireStaff(ctx, { admin: true });

  const page = (req: Request, res: Response, status: number, refusal?: LogoRefusal) =>
    res.status(status).render('admin-logo', {
      layout: 'staff',
      titleKey: 'settings.logo.title',
      limits: { maxKiB: LOGO_LIMITS.maxUploadBytes / 1024, width: LOGO_LIMITS.maxWidth, height: LOGO_LIMITS.maxHeight },
      errors: formErrors(req.locale, refusal ? [{ field: 'logo', messageKey: refusal, vars: { max: LOGO_LIMITS.maxUploadBytes / 1024 } }] : [], { fieldId: () => 'logo' }),
      done: req.query.done,
    });

  router.get(LOGO_UPLOAD_ROUTE, guard, (req, res) => page(req, res, 200));

  router.post(LOGO_UPLOAD_ROUTE, guard, async (req, res) => {
    if (!isMultipart(req)) return page(req, res, 422, 'settings.logo.errors.missing');
    let upload: Buffer | null = null;
    await parseMultipart(req, res, {
      maxFieldBytes: 1024,
      maxFileBytes: LOGO_LIMITS.maxUploadBytes,
      maxFiles: 1,
      maxBodyBytes: LOGO_LIMITS.maxUploadBytes + 64 * 1024,
      idleTimeoutMs: ctx.config.uploadIdleTimeoutMs,
      onFile: async (file) => {
        // The parser cuts a file one byte past maxFileBytes, so this holds at most that much.
        const parts: Buffer[] = [];
        for await (const chunk of file.stream) parts.push(chunk as Buffer);
        if (file.field === 'logo') upload = Buffer.concat(parts);
      },
    });
    const prepared = await prepareLogo(upload ?? new Uint8Array(0));
    if (!prepared.ok) return page(req, res, 422, prepared.messageKey);
    await saveLogo(ctx.database.db, principalOf(req).id, prepared.logo);
    res.redirect(303, `${LOGO_UPLOAD_ROUTE}?done=saved`);
  });

  router.post(`${LOGO_UPLOAD_ROUTE}/remove`, guard, async (req, res) => {
    await removeLogo(ctx.database.db, principalOf(req).id);
    res.redirect(303, `${LOGO_UPLOAD_ROUTE}?done=removed`);
  });

  return router;
}
