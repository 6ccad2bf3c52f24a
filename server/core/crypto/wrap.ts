import { CryptoError } from './errors.js';
import { CRYPTO_PARAMS } from './params.js';
import { sodium } from './sodium.js';
import { assertSymmetricKey, concatBytes } from './bytes.js';

const VERSION = CRYPTO_PARAMS.formatVersion;
const NONCE_BYTES = CRYPTO_PARAMS.secretboxNonceBytes;
const HEADER_BYTES = 1 + NONCE_BYTES;

/**
 * Wrap a secret (a staff private key) under a 32-byte key-encryption key:
 * the password KEK, the recovery key or a session secret.
 *
 * crypto_secretbox_easy (XSalsa20-Poly1305) with a fresh random 24-byte
 * nonce: the nonce is long enough to pick at random without collisions, and
 * the Poly1305 tag means a wrong KEK or a modified blob is detected rather
 * than yielding a wrong key. Format: version(1) ‖ nonce(24) ‖ box(len + 16).
 */
export function wrapKey(secret: Uint8Array, kek: Uint8Array): Uint8Array {
  return wrapKeyWithNonce(secret, kek, sodium().randombytes_buf(NONCE_BYTES));
}

/** wrapKey with a caller-chosen nonce. Internal: test vectors only; never reuse a nonce. */
export function wrapKeyWithNonce(secret: Uint8Array, kek: Uint8Array, nonce: Uint8Array): Uint8Array {
  assertSymmetricKey(kek, 'KEK');
  if (nonce.byteLength !== NONCE_BYTES) throw new RangeError(`Nonce must be ${NONCE_BYTES} bytes`);
  const box = sodium().crypto_secretbox_easy(secret, nonce, kek);
  return concatBytes(Uint8Array.of(VERSION), nonce, box);
}

/**
 * Inverse of wrapKey. Throws CryptoError on any failure (wrong KEK, modified
 * or truncated blob, unknown version) without saying which.
 */
export function unwrapKey(wrapped: Uint8Array, kek: Uint8Array): Uint8Array {
  const s = sodium();
  if (
    kek.byteLength !== CRYPTO_PARAMS.symmetricKeyBytes ||
    wrapped.byteLength < HEADER_BYTES + CRYPTO_PARAMS.secretboxTagBytes ||
    wrapped[0] !== VERSION
  ) {
    throw new CryptoError();
  }
  try {
    return s.crypto_secretbox_open_easy(wrapped.subarray(HEADER_BYTES), wrapped.subarray(1, HEADER_BYTES), kek);
  } catch {
    throw new CryptoError();
  }
}
