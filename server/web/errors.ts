import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { describeError, HttpError, isDatabaseUnavailable, NotFoundError, ServiceUnavailableError, TooManyRequestsError } from '../core/errors.js';

export const notFound: RequestHandler = (_req, _res, next) => next(new NotFoundError());

function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  const e = err as { code?: string; status?: number; statusCode?: number; type?: string };
  if (e?.code === 'EBADCSRFTOKEN') return new HttpError(403, 'errors.csrfMessage', 'errors.csrfTitle');
  if (isDatabaseUnavailable(err)) return new ServiceUnavailableError();
  const status = e?.status ?? e?.statusCode;
  if (status === 413 || e?.type === 'entity.too.large') return new HttpError(413, 'errors.tooLargeMessage', 'errors.tooLargeTitle');
  if (typeof status === 'number' && status >= 400 && status < 500) return new HttpError(status, 'errors.badRequestMessage');
  return null;
}

/**
 * The one error handler. Expected errors render a translated page with their status; anything
 * else is logged (name and stack only: never the request body, which may carry a tip) and
 * rendered as a generic 500. If the error template itself fails, a plain-text fallback is sent.
 */
export function errorHandler(logger: Logger, layout: 'public' | 'staff', onCsrfRejected?: CsrfRejectedHandler): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = toHttpError(err);
    if (known?.messageKey === 'errors.csrfMessage' && !res.headersSent && keptFormPage(req, res, layout, onCsrfRejected)) return;
    const status = known?.status ?? 500;
    if (!known || status >= 500) {
      logger.error({ err: describeError(err), route: req.route?.path }, 'request failed');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (known instanceof TooManyRequestsError) res.setHeader('Retry-After', String(known.retryAfterSeconds));
    if (status === 503) res.setHeader('Retry-After', '10');
    res.status(status);
    const view = status === 404 ? 'errors/not-found' : 'errors/error';
    res.render(view, {
      layout,
      status,
      titleKey: known?.titleKey ?? 'errors.serverTitle',
      messageKey: known?.messageKey ?? 'errors.serverMessage',
    }, (renderErr, html) => {
      if (renderErr) {
        logger.error({ err: describeError(renderErr) }, 'error page failed to render');
        res.type('text/plain; charset=utf-8').send(status === 404 ? '404 页面不存在 / Page not found' : `${status} 出错了，请稍后再试 / Something went wrong, please try again later`);
        return;
      }
      res.send(html);
    });
  };
}

/** An app's own answer to a refused form (e.g. its sign-in page with the text kept); true when it answered. */
export type CsrfRejectedHandler = (req: Request, res: Response, cause: CsrfCause) => boolean;
export type CsrfCause = 'cookiesOff' | 'sessionEnded';

/** Fields never written back into a page: secrets, and the token that was refused. */
export const NOT_KEPT = /^(_csrf|password|currentPassword|newPassword|newPasswordConfirm|code|receipt|staging_key|staged|remove_staged|submission_token)$/;

/**
 * A form refused by the CSRF check (its session ended, it was signed out in another tab, or the
 * browser sends no cookies) comes back with its text, in the response only, never stored, and
 * with the real cause: no cookie at all means cookies are off; otherwise the session has ended.
 */
function keptFormPage(req: Request, res: Response, layout: 'public' | 'staff', onCsrfRejected?: CsrfRejectedHandler): boolean {
  const cause: CsrfCause = Object.keys(req.cookies ?? {}).length === 0 ? 'cookiesOff' : 'sessionEnded';
  if (onCsrfRejected?.(req, res, cause)) return true;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const kept = Object.entries(body)
    .filter(([name, value]) => !NOT_KEPT.test(name) && typeof value === 'string' && value.trim().length > 1)
    .map(([name, value]) => ({ name, value: value as string }));
  // Nothing typed to keep (a bare POST, a multipart body refused unread): the usual page answers.
  if (kept.length === 0) return false;
  res.status(403).render('errors/form-kept', { layout, titleKey: 'errors.formKept.title', causeKey: `errors.formKept.${cause}`, kept });
  return true;
}
