import type { RequestHandler } from 'express';
import { isLocale, negotiateLocale, type Locale } from '../core/i18n/index.js';
import type { Site } from '../core/config.js';
import { cookieName, cookieOptions } from './cookies.js';

declare module 'express-serve-static-core' {
  interface Request {
    locale: Locale;
  }
}

/**
 * The language cookie wins; otherwise Accept-Language; otherwise Simplified Chinese.
 * `switchPath` is where this app's language links go (/lang or /staff/lang).
 */
export function localeMiddleware(site: Site, switchPath: string): RequestHandler {
  const name = cookieName(site, 'lang');
  return (req, res, next) => {
    const fromCookie = req.cookies?.[name];
    req.locale = isLocale(fromCookie) ? fromCookie : negotiateLocale(req.headers['accept-language']);
    res.locals.locale = req.locale;
    res.locals.htmlLang = req.locale === 'zh-CN' ? 'zh-Hans' : 'en';
    res.locals.otherLocale = req.locale === 'zh-CN' ? 'en' : 'zh-CN';
    res.locals.currentPath = req.path;
    res.locals.langSwitchPath = switchPath;
    next();
  };
}

/** Only same-site absolute paths may be redirect targets (no //host, no scheme, no backslash tricks). */
export function safeLocalPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || /[\\\r\n\t]/.test(value)) {
    return fallback;
  }
  return value.length > 512 ? fallback : value;
}

/** GET {prefix}/lang/:locale — a plain link, so switching language works without JavaScript. */
export function languageSwitch(site: Site, prefix: string): RequestHandler {
  return (req, res) => {
    const locale = req.params.locale;
    if (isLocale(locale)) {
      res.cookie(cookieName(site, 'lang'), locale, cookieOptions(site, { maxAge: 365 * 24 * 3600 * 1000 }));
    }
    // The target must be a local path of this app.
    res.redirect(303, safeLocalPath(req.query.next, prefix || '/'));
  };
}
