import type { Request } from 'express';
import type { Config } from '../core/config.js';
import { clientAddressKey } from '../core/crypto/index.js';

/**
 * The rate-limit key for the requesting client: an HMAC of its address under a server key, with
 * the UTC day mixed in so yesterday's keys cannot be linked to today's. The address itself is
 * never stored or logged.
 */
export function clientKey(config: Config, req: Request, now = new Date()): string {
  return clientAddressKey(config.secrets.rateLimitKey, req.ip ?? 'unknown', now.toISOString().slice(0, 10));
}
