import { assertServerSecret, hmacSha256 } from './hashing.js';
import { utf8 } from './encoding.js';

/** What a blind index is computed over; part of the MAC input for domain separation. */
export type BlindIndexKind = 'waybill' | 'phone';

const MIN_WAYBILL_CHARS = 6;
const MIN_PHONE_DIGITS = 5;
const CHINESE_MOBILE = /^1[3-9]\d{9}$/;
const COUNTRY_PREFIXES = ['0086', '86'];

/**
 * Canonical form of a waybill number so that the same parcel indexes the
 * same however it was typed: NFKC (full-width → half-width), upper case, and
 * only A–Z and 0–9 kept (spaces, dashes, underscores and other punctuation
 * dropped). Returns null when fewer than 6 characters remain: such values are
 * too short to identify a parcel and too easy to guess from the index.
 */
export function normaliseWaybill(value: string): string | null {
  const canonical = value.normalize('NFKC').toUpperCase().replace(/[^A-Z0-9]/g, '');
  return canonical.length >= MIN_WAYBILL_CHARS ? canonical : null;
}

/**
 * Canonical form of a phone number: NFKC (full-width digits → ASCII), digits
 * only, and a leading 86 / 0086 country code removed when what follows is an
 * 11-digit Chinese mobile number, so '+86 138-0013-8000' and '13800138000'
 * index equal. Returns null with fewer than 5 digits left.
 */
export function normalisePhone(value: string): string | null {
  let digits = value.normalize('NFKC').replace(/[^0-9]/g, '');
  for (const prefix of COUNTRY_PREFIXES) {
    const rest = digits.slice(prefix.length);
    if (digits.startsWith(prefix) && CHINESE_MOBILE.test(rest)) {
      digits = rest;
      break;
    }
  }
  return digits.length >= MIN_PHONE_DIGITS ? digits : null;
}

/**
 * Blind index HMAC-SHA-256(indexKey, "<kind>:<normalised value>") so reports
 * about the same parcel or sender link up without storing the value.
 * The kind prefix keeps a waybill and a phone number with the same digits
 * apart. Returns null when the value does not normalise (nothing to link on).
 *
 * Weakness (documented in docs/crypto.md): waybills and phone numbers have
 * little entropy, so whoever holds indexKey can confirm guesses offline.
 */
export function blindIndex(indexKey: Uint8Array, kind: BlindIndexKind, value: string): Uint8Array | null {
  assertServerSecret(indexKey, 'blindIndex');
  let normalised: string | null;
  if (kind === 'waybill') normalised = normaliseWaybill(value);
  else if (kind === 'phone') normalised = normalisePhone(value);
  else throw new RangeError('blindIndex: unknown kind');
  if (normalised === null) return null;
  return hmacSha256(indexKey, utf8(`${kind}:${normalised}`));
}
