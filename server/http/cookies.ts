import type { CookieOptions } from 'express';
import type { Config } from '../config.js';

export type CookieKind = 'csrf' | 'lang' | 'staff' | 'employee' | 'followup';

/**
 * Cookie names and options in one place. Over https every cookie is Secure and carries the
 * __Host- prefix (no Domain, Path=/), so a sibling subdomain cannot plant or overwrite it.
 */
export function cookieName(config: Config, kind: CookieKind): string {
  return `${config.secureCookies ? '__Host-' : ''}pg_${kind}`;
}

export function cookieOptions(config: Config, extra: CookieOptions = {}): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/', ...extra };
}
