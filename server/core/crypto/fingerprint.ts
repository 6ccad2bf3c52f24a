import { utf8 } from './encoding.js';
import { sodium } from './sodium.js';

/** Domain separation: a key fingerprint can never equal any other BLAKE2b value the product computes. */
const FINGERPRINT_CONTEXT = utf8('parcelguard key fingerprint v1');
const GROUPS = 6;
const GROUP_BYTES = 5;

/**
 * A public key's fingerprint as a person reads it aloud, in the style of a safety number:
 * BLAKE2b-240(context || publicKey), each 5-byte chunk taken as a big-endian integer modulo
 * 100000 and written as 5 digits: six groups, "12345 67890 …" (about 99 bits).
 */
export function keyFingerprint(publicKey: Uint8Array): string {
  const input = new Uint8Array(FINGERPRINT_CONTEXT.length + publicKey.length);
  input.set(FINGERPRINT_CONTEXT, 0);
  input.set(publicKey, FINGERPRINT_CONTEXT.length);
  const digest = sodium().crypto_generichash(GROUPS * GROUP_BYTES, input, null);
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let value = 0;
    for (let i = 0; i < GROUP_BYTES; i++) value = value * 256 + digest[g * GROUP_BYTES + i]!;
    groups.push(String(value % 100000).padStart(5, '0'));
  }
  return groups.join(' ');
}

/** The digits of a fingerprint as typed (spaces, dashes, full-width digits ignored), or null if it cannot be one. */
export function normaliseFingerprint(typed: string): string | null {
  const digits = typed.normalize('NFKC').replace(/[\s-]/g, '');
  return /^\d{30}$/.test(digits) ? digits : null;
}
