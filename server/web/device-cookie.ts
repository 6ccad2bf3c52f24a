import type { Request, Response } from 'express';
import type { Site } from '../core/config.js';
import { TRUSTED_DEVICE_DAYS } from '../core/accounts/devices.js';
import { cookieName, cookieOptions } from './cookies.js';

/**
 * The trusted-device cookie (core/accounts/devices.ts): set after a successful sign-in, sent back
 * with later attempts so that strangers' failures cannot lock this browser out. HttpOnly and
 * SameSite=Strict: it is only ever read by the sign-in and recovery forms of its own app.
 */
export type DeviceCookieKind = 'staff_device' | 'employee_device';

export function deviceToken(req: Request, site: Site, kind: DeviceCookieKind): unknown {
  return req.cookies?.[cookieName(site, kind)];
}

export function setDeviceCookie(res: Response, site: Site, kind: DeviceCookieKind, token: string): void {
  res.cookie(cookieName(site, kind), token, cookieOptions(site, { sameSite: 'strict', maxAge: TRUSTED_DEVICE_DAYS * 86400 * 1000 }));
}
