import { CRYPTO_PARAMS } from './params.js';
import { randomBytes } from './random.js';

/**
 * Crockford's base32 alphabet: no I, L, O or U, so that a key read aloud or
 * copied from paper is hard to get wrong.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUP = 4;
const KEY_BYTES = CRYPTO_PARAMS.symmetricKeyBytes;
const KEY_CHARS = Math.ceil((KEY_BYTES * 8) / 5); // 52 characters for 32 bytes

const DECODE = new Map<string, number>([...ALPHABET].map((ch, i) => [ch, i]));
// Crockford's decoding rules for the letters people confuse with digits.
DECODE.set('I', 1);
DECODE.set('L', 1);
DECODE.set('O', 0);

/**
 * A fresh 32-byte staff recovery key. It is used directly as a secretbox key
 * for the second copy of the staff private key, so it must be full-entropy
 * random, never derived from anything the server keeps.
 */
export function newRecoveryKey(): Uint8Array {
  return randomBytes(KEY_BYTES);
}

/**
 * Render a 32-byte recovery key for a human: Crockford base32 (52 characters,
 * the last carrying 1 bit plus 4 zero padding bits), upper case, in groups of
 * four separated by '-'.
 */
export function formatRecoveryKey(bytes: Uint8Array): string {
  if (bytes.byteLength !== KEY_BYTES) throw new RangeError(`formatRecoveryKey: expected ${KEY_BYTES} bytes`);
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  const groups: string[] = [];
  for (let i = 0; i < out.length; i += GROUP) groups.push(out.slice(i, i + GROUP));
  return groups.join('-');
}

/**
 * Parse what a person typed back into the 32-byte key. Tolerates lower case,
 * spaces, dashes and the I/L→1, O→0 confusions; returns null for anything
 * else (wrong length, foreign characters, non-zero padding bits) so the form
 * can say "that is not a recovery key" before trying to unwrap anything.
 */
export function parseRecoveryKey(text: string): Uint8Array | null {
  const compact = text.normalize('NFKC').toUpperCase().replace(/[\s-]+/g, '');
  if (compact.length !== KEY_CHARS) return null;
  const out = new Uint8Array(KEY_BYTES);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const ch of compact) {
    const value = DECODE.get(ch);
    if (value === undefined) return null;
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  // The 4 padding bits of the last character must be zero (canonical form).
  if ((buffer & ((1 << bits) - 1)) !== 0) return null;
  return out;
}
