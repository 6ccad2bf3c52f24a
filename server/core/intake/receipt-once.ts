/**
 * The receipt travels from the POST that filed the report to the GET that shows it (so the page is
 * a GET, and Back or reload never re-posts the form) inside a cookie the server sealed and clears
 * on first read. Never stored server-side, never in a URL; unreadable without the server secret;
 * refused after RECEIPT_COOKIE_SECONDS.
 */
import { fromUtf8, openFromBrowser, sealForBrowser, toBase64Url, utf8 } from '../crypto/index.js';

export const RECEIPT_COOKIE_SECONDS = 600;
const PURPOSE = 'receipt shown once';

export type ReceiptToShow = { receipt: string; immediateDanger: boolean };

export function sealReceiptCookie(secret: Uint8Array, value: ReceiptToShow, now = Date.now()): string {
  const json = JSON.stringify({ r: value.receipt, d: value.immediateDanger, t: now });
  return toBase64Url(sealForBrowser(secret, PURPOSE, utf8(json)));
}

export function openReceiptCookie(secret: Uint8Array, cookie: unknown, now = Date.now()): ReceiptToShow | null {
  if (typeof cookie !== 'string' || !/^[A-Za-z0-9_-]{40,400}$/.test(cookie)) return null;
  const opened = openFromBrowser(secret, PURPOSE, new Uint8Array(Buffer.from(cookie, 'base64url')));
  if (!opened) return null;
  const value = JSON.parse(fromUtf8(opened)) as { r: unknown; d: unknown; t: unknown };
  if (typeof value.r !== 'string' || typeof value.t !== 'number' || now - value.t > RECEIPT_COOKIE_SECONDS * 1000 || now < value.t - 60_000) return null;
  return { receipt: value.r, immediateDanger: value.d === true };
}
