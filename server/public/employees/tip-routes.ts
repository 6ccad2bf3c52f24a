import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../../core/context.js';
import { NotFoundError, ServiceUnavailableError } from '../../core/errors.js';
import { first } from '../../core/fields.js';
import { readFormWithFiles } from '../intake/request.js';
import { openUploadBatch } from '../../core/intake/service.js';
import { LIMITS_VIEW, stagingContext } from '../intake/view.js';
import type { UploadBatch } from '../../core/intake/uploads.js';
import { fieldError, zodFormErrors, type FormErrors } from '../../web/form-errors.js';
import { endedCauseOf, requireEmployee } from './guard.js';
import type { CsrfRejectedHandler } from '../../web/errors.js';
import { causeKeyOf, renderSignInAgain, signInAgain, type KeptForm } from './signin-again.js';
import { allowEmployeePost } from '../../core/employees/report.js';
import { fileNoteForm, MESSAGE_MAX_CHARS, replyForm } from '../../core/employees/schema.js';
import { addFilesToMyTip, listMyTips, openMyTip, openMyTipFile, replyToMyTip } from '../../core/employees/tips.js';

const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOTICES = new Set(['filed', 'sent', 'added']);

/** What a re-rendered tip page carries back: the reply typed, or the files staged, and why refused. */
type TipForms = { reply?: { body: string; errors: FormErrors }; files?: { batch: UploadBatch; note: string; errorKey: string } };

/** "My tips": the employee's own reports, their threads, replies and files. */
export function employeeTipRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireEmployee(ctx);

  router.get('/employee/tips', guard, async (req, res) => {
    const tips = await listMyTips(ctx, req.employee!);
    res.render('employees/tips', { titleKey: 'employees.tips.title', tips });
  });

  async function renderTip(req: Request, res: Response, status = 200, forms: TipForms = {}) {
    const tip = await openMyTip(ctx, req.employee!, String(req.params.caseNumber));
    if (!tip) throw new NotFoundError();
    const notice = typeof req.query.done === 'string' && NOTICES.has(req.query.done) ? req.query.done : undefined;
    res.status(status).render('employees/tip', {
      titleKey: 'employees.tip.title',
      tip,
      notice,
      replyBody: forms.reply?.body ?? '',
      errors: forms.reply?.errors,
      maxChars: MESSAGE_MAX_CHARS,
      // For the shared report-attachments partial.
      limits: LIMITS_VIEW,
      staging: forms.files ? stagingContext(forms.files.batch) : null,
      refused: (forms.files?.batch.refused ?? []).map((r) => ({ name: r.name, problemKey: `intake.fileProblems.${r.problem}` })),
      fileErrors: forms.files ? fieldError(req.locale, 'files', forms.files.errorKey, undefined, { idPrefix: 'field-' }) : null,
      fileNote: forms.files?.note ?? '',
      protection: { requestedAt: tip.protectionRequestedAt, action: `/employee/tips/${tip.caseNumber}/protection`, message: '' },
    });
  }

  router.get('/employee/tips/:caseNumber', guard, (req, res) => renderTip(req, res));

  addMessageRoutes(ctx, router, renderTip);

  router.post('/employee/tips/:caseNumber/files', guard, async (req, res) => {
    const form = await readFormWithFiles(ctx, req, res, { mayPost: () => allowEmployeePost(ctx, req.employee!) });
    if (!form.limit.ok) throw new ServiceUnavailableError();
    const allowed = form.limit.value;
    const batch = form.batch ?? (await openUploadBatch(ctx, form.fields));
    if (form.storageFailed) {
      // A photo found every processing place taken: nothing was added, the note and files kept.
      res.setHeader('Retry-After', '30');
      return renderTip(req, res, 503, { files: { batch, note: first(form.fields, 'note').slice(0, MESSAGE_MAX_CHARS * 2), errorKey: 'errors.formKeptMessage' } });
    }
    const note = fileNoteForm.safeParse({ note: first(form.fields, 'note') });
    const problem = filesProblem(allowed, batch, note.success);
    if (problem || !note.success) {
      const typed = first(form.fields, 'note').slice(0, MESSAGE_MAX_CHARS * 2);
      return renderTip(req, res, allowed ? 422 : 429, { files: { batch, note: typed, errorKey: problem ?? 'employees.errors.replyTooLong' } });
    }
    const caseNumber = String(req.params.caseNumber);
    if (!(await addFilesToMyTip(ctx, req.employee!, caseNumber, batch.files, note.data.note))) throw new NotFoundError();
    res.redirect(303, `/employee/tips/${caseNumber}?done=added#files-title`);
  });

  // Always a download, never rendered inline: a file from a reviewer or a reporter is untrusted.
  router.get('/employee/tips/:caseNumber/files/:fileId', guard, downloadMyTipFile(ctx));

  return router;
}

type RenderTip = (req: Request, res: Response, status?: number, forms?: TipForms) => Promise<void>;

/** A message on one's own tip; one posted after the session ended is kept (./signin-again.ts). */
function addMessageRoutes(ctx: AppContext, router: Router, renderTip: RenderTip): void {
  async function sendMessage(req: Request, res: Response) {
    const typed = typeof req.body?.body === 'string' ? (req.body.body as string).slice(0, MESSAGE_MAX_CHARS * 2) : '';
    const parsed = replyForm.safeParse(req.body ?? {});
    if (!parsed.success) return renderTip(req, res, 422, { reply: { body: typed, errors: zodFormErrors(req.locale, parsed.error, { fallbackKey: 'employees.errors.reply' }) } });
    if (!(await allowEmployeePost(ctx, req.employee!))) {
      res.setHeader('Retry-After', '3600');
      const errors = fieldError(req.locale, 'body', 'intake.errors.too_many_reports');
      return renderTip(req, res, 429, { reply: { body: typed, errors } });
    }
    const caseNumber = String(req.params.caseNumber);
    if (!(await replyToMyTip(ctx, req.employee!, caseNumber, parsed.data.body))) throw new NotFoundError();
    res.redirect(303, `/employee/tips/${caseNumber}?done=sent#thread`);
  }

  // A message whose session ended comes back kept, with the cause and a sign-in on the same page.
  const keepMessage = requireEmployee(ctx, { onEnded: (req, res, cause) => renderKeptMessage(req, res, 401, causeKeyOf(cause)) });
  router.post('/employee/tips/:caseNumber/messages', keepMessage, sendMessage);

  // "Sign in and send" from that page: the same sign-in as /employee/login, then the message is sent.
  router.post('/employee/tips/:caseNumber/messages/resume', async (req, res) => {
    const signedIn = await signInAgain(ctx, req, res);
    if (!signedIn.ok) return renderKeptMessage(req, res, signedIn.status, 'employees.again.cause.sessionEnded', signedIn.errors);
    req.employee = signedIn.employee;
    await sendMessage(req, res);
  });
}

const MESSAGE_PATH = /^\/employee\/tips\/([^/]+)\/messages$/;

/**
 * A message refused by the CSRF check (signed out in another tab changes the cookie its token was
 * bound to; or no cookies at all) comes back kept, with the cause and a sign-in, as above.
 */
export function employeeCsrfRejected(ctx: AppContext): CsrfRejectedHandler {
  return (req, res, cause) => {
    const match = MESSAGE_PATH.exec(req.path);
    // A multipart body was refused unread: there is no text to keep, and the refusal stands.
    if (req.method !== 'POST' || !match || /^multipart\//i.test(req.headers['content-type'] ?? '')) return false;
    const causeKey = causeKeyOf(cause === 'cookiesOff' ? 'cookiesOff' : endedCauseOf(ctx.config, req));
    renderSignInAgain(res, 403, keptMessage(decodeURIComponent(match[1]!), req.body?.body), { causeKey });
    return true;
  };
}

/** The message form of a tip page, kept on the sign-in-again page (./signin-again.ts). */
export function keptMessage(caseNumber: string, body: unknown): KeptForm {
  const value = typeof body === 'string' ? body.slice(0, MESSAGE_MAX_CHARS * 2) : '';
  return {
    action: `/employee/tips/${encodeURIComponent(caseNumber)}/messages/resume`,
    text: { name: 'body', labelKey: 'employees.tip.replyLabel', value, maxlength: MESSAGE_MAX_CHARS },
    hidden: [],
  };
}

function renderKeptMessage(req: Request, res: Response, status: number, causeKey: string, errors?: FormErrors): void {
  const phone = typeof req.body?.phone === 'string' ? (req.body.phone as string).slice(0, 40) : '';
  renderSignInAgain(res, status, keptMessage(String(req.params.caseNumber), req.body?.body), { causeKey, phone, errors });
}

/** Streams one of the employee's own tip files back as a download (404 for anything else). */
function downloadMyTipFile(ctx: AppContext): RequestHandler {
  return async (req, res) => {
    const fileId = String(req.params.fileId);
    const file = FILE_ID.test(fileId) ? await openMyTipFile(ctx, req.employee!, String(req.params.caseNumber), fileId) : null;
    if (!file) throw new NotFoundError();
    res.attachment(file.name); // Content-Disposition with the name safely encoded
    res.setHeader('Content-Type', file.type);
    res.setHeader('Content-Length', String(file.size));
    try {
      for await (const chunk of file.stream) {
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    } catch (err) {
      // A chunk failed to authenticate: abort rather than present a truncated file as complete.
      res.destroy();
      throw err;
    }
  };
}

/** Why an add-files POST cannot be accepted as it is (the staged files are kept for the retry). */
function filesProblem(allowed: boolean, batch: UploadBatch, noteOk: boolean): string | null {
  if (!allowed) return 'intake.errors.too_many_reports';
  if (batch.refused.length > 0) return 'intake.errors.files_refused';
  if (batch.files.length === 0) return 'employees.errors.noFile';
  return noteOk ? null : 'employees.errors.replyTooLong';
}
