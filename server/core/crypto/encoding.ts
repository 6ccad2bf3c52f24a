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
