/**
 * Small named errors that services throw. They carry the HTTP status and the i18n keys of the
 * page that explains them, so the one error handler in server/web/errors.ts can map them without
 * knowing each service; nothing here depends on Express.
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

/** PostgreSQL / driver failures that mean "the database cannot answer right now" (unreachable, or busy past a lock wait). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  // 55P03: a lock wait ran out (only set where a wait can be long: the statistics roll-up build).
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '55P03', '08000', '08003', '08006', '08001', '08004'].includes(e.code)) {
    return true;
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|database closed|PGlite is closed/i.test(e.message ?? '');
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
