import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Structured logs that are safe to ship anywhere: no bodies, headers, cookies, query strings or
 * client addresses, for anyone. The redaction list is a second line of defence; the first is that
 * nothing logs those values (server/web/request-logger.ts records only method, route, status, time).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ['req', 'res', 'body', 'headers', 'cookies', 'password', 'receipt'], remove: true },
    },
    destination,
  );
}
