import helmet from 'helmet';
import type { RequestHandler } from 'express';
import type { Site } from '../core/config.js';

/**
 * Headers on every response. The CSP allows nothing inline and nothing from other origins: the
 * pages work without JavaScript, and the few enhancement scripts are same-origin files.
 */
export function securityHeaders(site: Site): RequestHandler[] {
  const https = site.secure;
  return [
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          ...(https ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginOpenerPolicy: { policy: 'same-origin' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      crossOriginEmbedderPolicy: { policy: 'require-corp' },
      strictTransportSecurity: https ? { maxAge: 63072000, includeSubDomains: true } : false,
      xFrameOptions: { action: 'deny' },
    }),
    (_req, res, next) => {
      // Reporters photograph parcels with their own camera app; the site itself needs no sensors.
      res.setHeader(
        'Permissions-Policy',
        'camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), bluetooth=(), ' +
          'accelerometer=(), gyroscope=(), magnetometer=(), display-capture=(), clipboard-read=(), browsing-topics=()',
      );
      next();
    },
  ];
}

/** Dynamic pages may hold a tip or a receipt: never let a browser or proxy keep a copy. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  next();
};
