import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/**
 * One line per request: method, the matched route pattern (never the raw URL, which could carry a
 * mistyped receipt), status and duration. No bodies, headers, cookies, query strings or addresses.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : '(unmatched)';
      logger.info({ method: req.method, route, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}
