import { constantTimeEqual, hmacSha256, newToken, toBase64Url, trustedDeviceKey, utf8, type SecretRoots } from '../crypto/index.js';

/**
 * Trusted-device cookies (OWASP, "Slow down online guessing attacks with device cookies"). After a
 * successful sign-in the browser gets a token that says "this browser signed in to this account";
 * later attempts on that account from it draw on the device's own budget instead of the budgets
 * strangers can exhaust (./throttle.ts). The token is
 *
 *   nonce "." expiry "." base64url(HMAC-SHA-256(device key, scope "|" account "|" nonce "|" expiry))
 *
 * where nonce is 16 random bytes (base64url), expiry a Unix time in seconds, and the device key a
 * subkey of the rate-limit secret (crypto/subkeys.ts). It names no account and nothing is stored
 * on the server: a token is only valid together with the account it was made for, so one account's
 * device cookie gives nothing when guessing another. Its nonce is the device's id in the counters.
 */
export type DeviceScope = 'staff' | 'employee';

export const TRUSTED_DEVICE_DAYS = 90;

const TOKEN = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

function mac(roots: SecretRoots, scope: DeviceScope, account: string, nonce: string, expiry: number): string {
  return toBase64Url(hmacSha256(trustedDeviceKey(roots), utf8(`${scope}|${account}|${nonce}|${expiry}`)));
}

/** A fresh token for `account` (canonical form: see the callers), valid for TRUSTED_DEVICE_DAYS. */
export function issueDeviceToken(roots: SecretRoots, scope: DeviceScope, account: string, now = new Date()): string {
  const nonce = newToken(16);
  const expiry = Math.floor(now.getTime() / 1000) + TRUSTED_DEVICE_DAYS * 86400;
  return `${nonce}.${expiry}.${mac(roots, scope, account, nonce, expiry)}`;
}

/** The device id when `token` is an unexpired device token for this account, else null. */
export function trustedDeviceId(roots: SecretRoots, scope: DeviceScope, account: string, token: unknown, now = new Date()): string | null {
  if (typeof token !== 'string') return null;
  const match = TOKEN.exec(token);
  if (!match) return null;
  const [, nonce, expiryText, given] = match as unknown as [string, string, string, string];
  const expiry = Number(expiryText);
  if (expiry * 1000 <= now.getTime()) return null;
  return constantTimeEqual(utf8(given), utf8(mac(roots, scope, account, nonce, expiry))) ? nonce : null;
}
