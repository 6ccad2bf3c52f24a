import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../../core/context.js';
import { fieldError } from '../../web/form-errors.js';
import { cookieName, cookieOptions } from '../../web/cookies.js';
import type { CsrfRejectedHandler } from '../../web/errors.js';
import { clientSource } from '../../web/client.js';
import { destroySession, loadSession, SESSION_POLICIES, type OpenSession } from '../../core/sessions/store.js';
import { keepFormWhenUnavailable, readFormWithFiles, textOnlyForm, unlessUnavailable } from '../intake/request.js';
import type { FormWithFiles } from '../../core/intake/uploads.js';
import { emptyReportValues } from '../../core/intake/schema.js';
import { reportFormContext, unavailableContext } from '../intake/view.js';
import { openUploadBatch, fileErrors } from '../../core/intake/service.js';
import { fieldsFromBody, first } from '../../core/fields.js';
import { consentSchema, fileNoteSchema, followupIssues, loginSchema, replySchema } from '../../core/followup/schema.js';
import { addFiles, allowAction, changeConsent, loginWithReceipt, reporterCase, sendReply } from '../../core/followup/service.js';
import { consentRetryContext, statusPageContext, type StatusPageState } from './view.js';

declare module 'express-serve-static-core' {
  interface Locals {
    reporterSession?: OpenSession | null;
  }
}

/**
 * The reporter's side after submission, behind its own cookie (session kind 'reporter', 15 minutes
 * idle, 2 hours at most). Separate from every staff and employee session, as SecureDrop separates
 * its source and journalist interfaces.
 */
export function followupRoutes(ctx: AppContext): Router {
  const router = Router();
  const cookie = cookieName(ctx.config.public, 'followup');
  const loadReporter: RequestHandler = async (req, res, next) => {
    res.locals.reporterSession = await loadSession(ctx.database.db, 'reporter', req.cookies?.[cookie]);
    next();
  };
  // Reply and file forms while the database is away: their text comes back on a "try again" page.
  const loadReporterKeepingForm = keepFormWhenUnavailable(ctx, loadReporter, renderUnavailable);

  router.get('/followup', loadReporter, async (req, res) => {
    if (!res.locals.reporterSession) return renderLogin(res, 200);
    await renderStatusPage(ctx, req, res, {});
  });
  router.post('/followup', postLogin(ctx, cookie));
  router.post('/followup/reply', loadReporterKeepingForm, postReply(ctx, cookie));
  router.post('/followup/files', loadReporterKeepingForm, postFiles(ctx));
  router.post('/followup/consent', loadReporterKeepingForm, postConsent(ctx));

  router.post('/followup/logout', async (req, res) => {
    await destroySession(ctx.database.db, req.cookies?.[cookie]);
    res.clearCookie(cookie, cookieOptions(ctx.config.public, { sameSite: 'strict' }));
    res.render('followup/logged-out', { titleKey: 'followup.loggedOut.title' });
  });

  return router;
}

/** Sign-in with the receipt; a reply kept from an ended session (pending_reply) is sent right after. */
function postLogin(ctx: AppContext, cookie: string) {
  return async (req: Request, res: Response) => {
    const body = (req.body as Record<string, unknown> | undefined) ?? {};
    const { receipt } = loginSchema.parse({ receipt: body.receipt });
    const pending = typeof body.pending_reply === 'string' ? body.pending_reply : '';
    const result = await loginWithReceipt(ctx, receipt, clientSource(req));
    if (result.kind === 'ok') {
      res.cookie(cookie, result.cookie, cookieOptions(ctx.config.public, { sameSite: 'strict' }));
      const reply = replySchema.safeParse({ body: pending });
      const session = pending && reply.success ? await loadSession(ctx.database.db, 'reporter', result.cookie) : null;
      if (session && reply.success && (await sendReply(ctx, session, reply.data.body))) return res.redirect(303, '/followup#thread');
      res.redirect(303, '/followup');
      return;
    }
    if (result.kind === 'throttled') res.setHeader('Retry-After', String(result.retryAfterSeconds));
    renderLogin(res, result.kind === 'throttled' ? 429 : 401, result.kind === 'throttled' ? 'followup.errors.throttled' : 'followup.errors.invalid', pending);
  };
}

function postReply(ctx: AppContext, cookie: string) {
  return async (req: Request, res: Response) => {
    const session = requireSession(res);
    const fields = fieldsFromBody(req.body);
    const body = first(fields, 'body');
    // The reply comes back on the sign-in page (never stored) and is sent once the receipt is entered.
    if (!session) return renderLogin(res, 401, endedCause(req, cookie), body);
    const parsed = replySchema.safeParse({ body });
    if (!parsed.success) return renderStatusPage(ctx, req, res, { status: 422, reply: body, errors: followupIssues(parsed.error) });
    const allowed = await unlessUnavailable(allowAction(ctx, clientSource(req)));
    if (allowed.ok && !allowed.value) return renderStatusPage(ctx, req, res, { status: 429, reply: body, errors: [throttled('body')] });
    const sent = allowed.ok ? await unlessUnavailable(sendReply(ctx, session, parsed.data.body)) : allowed;
    if (!sent.ok) return renderUnavailable(res, textOnlyForm(fields));
    if (!sent.value) return renderLogin(res, 401, 'followup.errors.expired');
    res.redirect(303, '/followup#thread');
  };
}

function postFiles(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const session = requireSession(res);
    const form = await readFormWithFiles(ctx, req, res, { mayPost: async () => (session ? allowAction(ctx, clientSource(req)) : false) });
    const allowed = form.limit.ok && form.limit.value;
    if (!form.limit.ok || form.storageFailed) return renderUnavailable(res, form);
    if (!session) return renderLogin(res, 401, 'followup.errors.expired');
    const opened = form.batch ? { ok: true as const, value: form.batch } : await unlessUnavailable(openUploadBatch(ctx, form.fields));
    if (!opened.ok) return renderUnavailable(res, form);
    const batch = opened.value;
    const note = first(form.fields, 'note');
    const parsed = fileNoteSchema.safeParse({ note });
    const errors = [
      ...(allowed ? [] : [throttled('files')]),
      ...(parsed.success ? [] : followupIssues(parsed.error)),
      ...(allowed && batch.files.length === 0 && batch.refused.length === 0 ? [{ field: 'files', messageKey: 'followup.errors.no_files' }] : []),
      ...fileErrors(batch),
    ];
    if (errors.length > 0 || !parsed.success) return renderStatusPage(ctx, req, res, { status: allowed ? 422 : 429, note, batch, errors });
    const added = await unlessUnavailable(addFiles(ctx, session, batch, parsed.data.note));
    if (!added.ok) return renderUnavailable(res, { ...form, batch });
    if (!added.value) return renderLogin(res, 401, 'followup.errors.expired');
    res.redirect(303, '/followup#files');
  };
}

const CONSENT_FIELDS = ['consent', 'identity_name', 'identity_phone', 'identity_id_number', 'identity_contact'];

function postConsent(ctx: AppContext) {
  return async (req: Request, res: Response) => {
    const session = requireSession(res);
    if (!session) return renderLogin(res, 401, 'followup.errors.expired');
    const fields = fieldsFromBody(req.body);
    const values = Object.fromEntries(CONSENT_FIELDS.map((n) => [n, first(fields, n)]));
    const parsed = consentSchema.safeParse(values);
    if (!parsed.success) return renderStatusPage(ctx, req, res, { status: 422, consent: values, errors: followupIssues(parsed.error) });
    const unavailable = () => renderUnavailable(res, textOnlyForm(fields));
    const allowed = await unlessUnavailable(allowAction(ctx, clientSource(req)));
    if (!allowed.ok) return unavailable();
    if (!allowed.value) return renderStatusPage(ctx, req, res, { status: 429, consent: values, errors: [throttled('consent')] });
    const changed = await unlessUnavailable(changeConsent(ctx, session, parsed.data));
    if (!changed.ok) return unavailable();
    const result = changed.value;
    if (result.kind === 'gone') return renderLogin(res, 401, 'followup.errors.expired');
    if (result.kind === 'refused') return renderStatusPage(ctx, req, res, { status: 422, consent: values, errors: [{ field: result.field, messageKey: result.messageKey }] });
    res.redirect(303, '/followup#consent');
  };
}

/**
 * A reply refused by the CSRF check (signed out in another tab changes the cookie its token was
 * bound to; or no cookies at all) comes back on the sign-in page with the text kept, as above.
 */
export function followupCsrfRejected(ctx: AppContext): CsrfRejectedHandler {
  const cookie = cookieName(ctx.config.public, 'followup');
  return (req, res, cause) => {
    // A multipart body was refused unread: there is no text to keep, and the refusal stands.
    if (req.method !== 'POST' || req.path !== '/followup/reply' || /^multipart\//i.test(req.headers['content-type'] ?? '')) return false;
    const body = (req.body as Record<string, unknown> | undefined)?.body;
    const key = cause === 'cookiesOff' ? 'followup.errors.cookiesOff' : endedCause(req, cookie);
    renderLogin(res, 403, key, typeof body === 'string' ? body : '');
    return true;
  };
}

function requireSession(res: Response): OpenSession | null {
  return res.locals.reporterSession ?? null;
}

const throttled = (field: string) => ({ field, messageKey: 'followup.errors.action_throttled' });

/** Neither the thread nor the files can be read now; the reply and the file note come back as typed. */
function renderUnavailable(res: Response, form: FormWithFiles): void {
  res.setHeader('Retry-After', '30');
  res.status(503).render('followup/unavailable', {
    titleKey: 'errors.unavailableTitle',
    ...reportFormContext(res.req.locale, emptyReportValues(), [], null),
    ...unavailableContext(form),
    reply: first(form.fields, 'body'),
    note: first(form.fields, 'note'),
    consentRetry: consentRetryContext(Object.fromEntries(Object.keys(form.fields).map((n) => [n, first(form.fields, n)]))),
  });
}

function renderLogin(res: Response, status: number, errorKey?: string, pendingReply = ''): void {
  res.status(status).render('followup/login', {
    titleKey: 'followup.login.title',
    errors: errorKey ? fieldError(res.req.locale, 'receipt', errorKey, undefined, { idPrefix: 'field-' }) : null,
    pendingReply: pendingReply.trim() ? pendingReply : null,
  });
}

/** The latest this page's session can last: shown as static text, so it needs no JavaScript. */
function sessionUntil(session: OpenSession, now: Date): Date {
  const policy = SESSION_POLICIES.reporter;
  return new Date(Math.min(now.getTime() + policy.idleSeconds * 1000, session.createdAt.getTime() + policy.absoluteSeconds * 1000));
}

/**
 * Why a signed-in form arrived without a live session: the cookie came with it but its session has
 * ended (15 minutes idle, signed out in another tab), or no cookie came at all (cookies disabled).
 */
export function endedCause(req: Request, sessionCookie: string): string {
  if (req.cookies?.[sessionCookie]) return 'followup.errors.sessionEnded';
  return Object.keys(req.cookies ?? {}).length === 0 ? 'followup.errors.cookiesOff' : 'followup.errors.signedOut';
}

async function renderStatusPage(ctx: AppContext, req: Request, res: Response, state: StatusPageState): Promise<void> {
  const session = requireSession(res);
  const view = session ? await reporterCase(ctx, session) : null;
  if (!view) return renderLogin(res, 401, 'followup.errors.expired');
  res.status(state.status ?? 200).render('followup/status', {
    titleKey: 'followup.status.title',
    ...statusPageContext(req.locale, view, state),
    sessionUntil: sessionUntil(session!, new Date()),
  });
}
