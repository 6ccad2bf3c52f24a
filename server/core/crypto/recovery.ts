import { CRYPTO_PARAMS } from './params.js';
import { randomBytes } from './random.js';
import { fromCrockford, normaliseCrockford, toCrockford } from './encoding.js';

const GROUP = 4;
const KEY_BYTES = CRYPTO_PARAMS.symmetricKeyBytes;
const KEY_CHARS = Math.ceil((KEY_BYTES * 8) / 5); // 52 characters for 32 bytes

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
 * four separated by '-'. Crockford's alphabet has no I, L, O or U, so a key
 * read aloud or copied from paper is hard to get wrong.
 */
export function formatRecoveryKey(bytes: Uint8Array): string {
  if (bytes.byteLength !== KEY_BYTES) throw new RangeError(`formatRecoveryKey: expected ${KEY_BYTES} bytes`);
  return toCrockford(bytes).match(new RegExp(`.{1,${GROUP}}`, 'g'))!.join('-');
}

/**
 * Parse what a person typed back into the 32-byte key. Tolerates lower case,
 * spaces, dashes and the I/L→1, O→0 confusions; returns null for anything
 * else (wrong length, foreign characters, non-zero padding bits) so the form
 * can say "that is not a recovery key" before trying to unwrap anything.
 */
export function parseRecoveryKey(text: string): Uint8Array | null {
  const compact = normaliseCrockford(text);
  if (compact.length !== KEY_CHARS) return null;
  const bytes = fromCrockford(compact);
  return bytes?.byteLength === KEY_BYTES ? bytes : null;
}
