import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';

/**
 * Small named errors that services and routes throw; one handler maps them to HTTP.
 * `messageKey` is an i18n key: error pages are always translated and never show internals.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly messageKey: string,
    readonly titleKey = 'errors.genericTitle',
  ) {
    super(messageKey);
  }
}

export class NotFoundError extends HttpError {
  constructor() {
    super(404, 'errors.notFoundMessage', 'errors.notFoundTitle');
  }
}

export class ForbiddenError extends HttpError {
  constructor(messageKey = 'errors.forbiddenMessage') {
    super(403, messageKey, 'errors.forbiddenTitle');
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'errors.tooManyMessage', 'errors.tooManyTitle');
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor() {
    super(503, 'errors.unavailableMessage', 'errors.unavailableTitle');
  }
}

export const notFound: RequestHandler = (_req, _res, next) => next(new NotFoundError());

/** PostgreSQL / driver failures that mean "the database is not reachable right now". */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004'].includes(e.code)) {
    return true;
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|database closed|PGlite is closed/i.test(e.message ?? '');
}

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
 * What of an unexpected error may be logged. Driver messages can quote the offending value
 * ("invalid input syntax for type uuid: \"…\""), so quoted fragments are masked.
 */
export function describeError(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; code?: string; message?: string; stack?: string } | null;
  const mask = (s: string | undefined) => s?.replace(/"[^"]*"|'[^']*'/g, '"…"');
  return { name: e?.name, code: e?.code, message: mask(e?.message), stack: mask(e?.stack) };
}

/**
 * The one error handler. Expected errors render a translated page with their status; anything
 * else is logged (name and stack only: never the request body, which may carry a tip) and
 * rendered as a generic 500. If the error template itself fails, a plain-text fallback is sent.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = toHttpError(err);
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
    const layout = req.path.startsWith('/staff') ? 'staff' : 'public';
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
