import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../core/context.js';
import { NotFoundError } from '../core/errors.js';
import { principalOf, requireStaff } from './guard.js';
import { CaseActionRefused } from '../core/cases/access.js';
import { formErrors, zodIssues, type FieldIssue } from '../web/form-errors.js';
import { renderCasePage, typedValues } from './cases/render.js';
import { REFERRAL_CHANNELS, referralFormSchema, referralUpdateSchema } from '../core/referral/schema.js';
import { addReferralUpdate, approveReferral, createReferral, loadReferralSheet, referralFormContext } from '../core/referral/service.js';
import { BundleRefused, exportReferralBundle } from '../core/referral/bundle.js';
import { listAuthorities } from '../core/referral/repository.js';
import { contentDisposition } from '../core/cases/files.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Referral records (DESIGN §6): the form, four-eyes approval, follow-up updates, the printable sheet. */
export function referralRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireStaff(ctx);
  const base = '/staff/cases/:caseNumber/referrals';

  router.get(`${base}/new`, guard, async (req, res) => {
    await renderReferralForm(ctx, req, res, { values: { referredAt: beijingNow() }, errors: null });
  });
  router.post(base, guard, postReferral(ctx));
  router.post(`${base}/:referralId/approve`, guard, postApproval(ctx));
  router.post(`${base}/:referralId/updates`, guard, postUpdate(ctx));

  // Always in Chinese: the sheet goes to a Chinese authority, whatever the reviewer's UI language.
  router.get(`${base}/:referralId/sheet`, guard, async (req, res) => {
    await renderSheet(ctx, req, res, 200);
  });

  // A bundle sealed to a receiving body's public key; refusals come back on the sheet page.
  router.post(`${base}/:referralId/bundle`, guard, postBundle(ctx));

  return router;
}

function referralId(req: Request): string {
  const id = String(req.params.referralId);
  if (!UUID.test(id)) throw new NotFoundError();
  return id;
}

function postReferral(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const caseNumber = String(req.params.caseNumber);
    const values = typedValues(req.body);
    const parsed = referralFormSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      await renderReferralForm(ctx, req, res, { values, errors: zodIssues(parsed.error, 'referral.errors.invalid') }, 422);
      return;
    }
    let pending: boolean;
    try {
      ({ pending } = await createReferral(ctx, principalOf(req), caseNumber, parsed.data));
    } catch (err) {
      if (!(err instanceof CaseActionRefused)) throw err;
      await renderReferralForm(ctx, req, res, { values, errors: [{ field: err.field, messageKey: err.messageKey }] }, 422);
      return;
    }
    const done = pending ? 'referralPending' : 'referral';
    res.redirect(303, `/staff/cases/${encodeURIComponent(caseNumber)}?done=${done}#referrals`);
  };
}

function postApproval(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const caseNumber = String(req.params.caseNumber);
    try {
      await approveReferral(ctx, principalOf(req), caseNumber, referralId(req));
    } catch (err) {
      if (!(err instanceof CaseActionRefused)) throw err;
      await renderCasePage(ctx, req, res, { form: err.form, values: {}, errors: [{ field: err.field, messageKey: err.messageKey }] }, 422);
      return;
    }
    res.redirect(303, `/staff/cases/${encodeURIComponent(caseNumber)}?done=referralApproved#referrals`);
  };
}

function postUpdate(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const caseNumber = String(req.params.caseNumber);
    const id = referralId(req);
    const form = `update-${id}`;
    const parsed = referralUpdateSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      await renderCasePage(ctx, req, res, { form, values: typedValues(req.body), errors: zodIssues(parsed.error, 'referral.errors.invalid') }, 422);
      return;
    }
    try {
      await addReferralUpdate(ctx, principalOf(req), caseNumber, id, parsed.data.body);
    } catch (err) {
      if (!(err instanceof CaseActionRefused)) throw err;
      await renderCasePage(ctx, req, res, { form, values: typedValues(req.body), errors: [{ field: err.field, messageKey: err.messageKey }] }, 422);
      return;
    }
    res.redirect(303, `/staff/cases/${encodeURIComponent(caseNumber)}?done=referralUpdated#referrals`);
  };
}

function postBundle(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const authority = typedValues(req.body).authority;
    let bundle;
    try {
      bundle = await exportReferralBundle(ctx, principalOf(req), String(req.params.caseNumber), referralId(req), typeof authority === 'string' ? authority : '');
    } catch (err) {
      if (!(err instanceof BundleRefused)) throw err;
      await renderSheet(ctx, req, res, 422, err.messageKey);
      return;
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Disposition', contentDisposition('attachment', bundle.fileName));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
    res.setHeader('Cache-Control', 'no-store');
    await pipeline(Readable.from(bundle.bytes, { objectMode: false }), res);
  };
}

async function renderSheet(ctx: AppContext, req: Request, res: Response, status: number, bundleError?: string): Promise<void> {
  const sheet = await loadReferralSheet(ctx, principalOf(req), String(req.params.caseNumber), referralId(req));
  const authorities = (await listAuthorities(ctx.database.db)).map((a) => ({ id: a.id, name: a.name }));
  res.status(status).render('referral-sheet', { layout: false, locale: 'zh-CN', htmlLang: 'zh-Hans', sheet, authorities, bundleError });
}

async function renderReferralForm(
  ctx: AppContext,
  req: Request,
  res: Response,
  state: { values: Record<string, unknown>; errors: FieldIssue[] | null },
  status = 200,
): Promise<void> {
  const form = await referralFormContext(ctx, principalOf(req), String(req.params.caseNumber));
  const chosen = ([] as unknown[]).concat(state.values.attachments ?? []);
  res.status(status).render('referral-new', {
    layout: 'staff',
    titleKey: 'referral.new.title',
    form,
    values: { ...state.values, attachments: chosen },
    errors: state.errors && formErrors(req.locale, state.errors, { idPrefix: 'rf-' }),
    channels: REFERRAL_CHANNELS,
  });
}

/** The current Beijing time as a `datetime-local` value, to pre-fill the form. */
function beijingNow(): string {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 16);
}
