import { base32crockford } from '@scure/base';

/**
 * Byte/string conversions used across the app. They use Node's Buffer
 * (no libsodium), so they work before cryptoReady() and in any module.
 * Decoders are strict: silently dropping stray characters, as Buffer does,
 * would turn a corrupted value into a different value instead of an error.
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Copy into a standalone Uint8Array: small Buffers live in a shared pool,
 * and decoded secrets should not sit in (or expose) that shared slab.
 */
function plain(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer);
}

/** Standard base64 (RFC 4648 §4) with padding. */
export function toBase64(bytes: Uint8Array): string {
  return view(bytes).toString('base64');
}

/** Inverse of toBase64; throws TypeError on anything that is not canonical padded base64. */
export function fromBase64(text: string): Uint8Array {
  if (!BASE64.test(text)) throw new TypeError('Invalid base64');
  return plain(Buffer.from(text, 'base64'));
}

/** Base64url (RFC 4648 §5) without padding, for URLs and cookies. */
export function toBase64Url(bytes: Uint8Array): string {
  return view(bytes).toString('base64url');
}

/** Lower-case hexadecimal. */
export function toHex(bytes: Uint8Array): string {
  return view(bytes).toString('hex');
}

/** Inverse of toHex (either case); throws TypeError on odd length or non-hex characters. */
export function fromHex(text: string): Uint8Array {
  if (!HEX.test(text)) throw new TypeError('Invalid hex');
  return plain(Buffer.from(text, 'hex'));
}

/** UTF-8 encoding of a string. */
export function utf8(text: string): Uint8Array {
  return plain(Buffer.from(text, 'utf8'));
}

/** Strict UTF-8 decoding: throws TypeError on malformed input instead of inserting U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/**
 * Crockford base32 (digits and upper-case letters without I, L, O and U), most significant bit
 * first, the last character padded with zero bits. Used wherever a person reads, writes or types a
 * value: recovery keys, case numbers, invite codes.
 */
export function toCrockford(bytes: Uint8Array): string {
  return base32crockford.encode(bytes);
}

/**
 * What a person typed → canonical Crockford text: NFKC (full-width forms), upper case, spaces and
 * dashes removed, and Crockford's look-alikes read as digits (I and L as 1, O as 0).
 */
export function normaliseCrockford(typed: string): string {
  return typed.normalize('NFKC').toUpperCase().replace(/[\s-]+/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

/**
 * Inverse of toCrockford on canonical text; null on a foreign character or non-zero padding bits,
 * so a mistyped value is refused rather than read as a different one.
 */
export function fromCrockford(text: string): Uint8Array | null {
  try {
    return base32crockford.decode(text);
  } catch {
    return null;
  }
}

/** Whether `text` is canonical Crockford characters (any length, so not necessarily whole bytes). */
export function isCrockford(text: string): boolean {
  // Zero characters up to a multiple of 8 (40 bits) leave no padding bits to check.
  return text === normaliseCrockford(text) && fromCrockford(text + '0'.repeat((8 - (text.length % 8)) % 8)) !== null;
}
