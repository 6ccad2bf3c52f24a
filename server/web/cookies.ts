import type { CookieOptions } from 'express';
import type { Site } from '../core/config.js';

/** The cookies each app sets. The staff app has its own CSRF cookie, so the two never share one. */
export type CookieKind = 'csrf' | 'staff_csrf' | 'lang' | 'staff' | 'employee' | 'followup' | 'staff_device' | 'employee_device' | 'receipt';

/**
 * Cookie names and options in one place. Over https every cookie is Secure and carries the
 * __Host- prefix (no Domain, Path=/), so a sibling subdomain cannot plant or overwrite it.
 * Browsers do not separate cookies by port, so on one host the two apps still use distinct names.
 */
export function cookieName(site: Site, kind: CookieKind): string {
  return `${site.secure ? '__Host-' : ''}pg_${kind}`;
}

export function cookieOptions(site: Site, extra: CookieOptions = {}): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: site.secure, path: '/', ...extra };
}
