import type { Request } from 'express';
import { clientSourceOf, type ClientSource } from '../core/client-source.js';

/**
 * Where the request comes from, for rate limits: the client's IPv4 address or IPv6 /64 and its
 * wider network, held for this request only. The counters store keyed hashes of them, one key per
 * bucket (core/rate-limit.ts); the address itself is never stored or logged. Behind a proxy,
 * TRUST_PROXY decides which address req.ip is.
 */
export function clientSource(req: Request): ClientSource {
  return clientSourceOf(req.ip);
}
