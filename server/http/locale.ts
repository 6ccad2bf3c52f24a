import type { RequestHandler } from 'express';
import { isLocale, negotiateLocale, type Locale } from '../i18n/index.js';
import type { Config } from '../config.js';
import { cookieName } from './cookies.js';

declare module 'express-serve-static-core' {
  interface Request {
    locale: Locale;
  }
}

/** The language cookie wins; otherwise Accept-Language; otherwise Simplified Chinese. */
export function localeMiddleware(config: Config): RequestHandler {
  const name = cookieName(config, 'lang');
  return (req, res, next) => {
    const fromCookie = req.cookies?.[name];
    req.locale = isLocale(fromCookie) ? fromCookie : negotiateLocale(req.headers['accept-language']);
    res.locals.locale = req.locale;
    res.locals.htmlLang = req.locale === 'zh-CN' ? 'zh-Hans' : 'en';
    res.locals.otherLocale = req.locale === 'zh-CN' ? 'en' : 'zh-CN';
    res.locals.currentPath = req.path;
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
