import { CryptoError } from './errors.js';
import { CRYPTO_PARAMS } from './params.js';
import { sodium } from './sodium.js';
import { assertSymmetricKey, concatBytes } from './bytes.js';
import { fromUtf8, utf8 } from './encoding.js';

/** What a sealed record holds; bound into its associated data. */
export type RecordPurpose =
  | 'payload'
  | 'identity'
  | 'message'
  | 'note'
  | 'file-meta'
  | 'referral'
  | 'request'
  | 'employee-identity'
  | 'staging';

export const RECORD_PURPOSES: readonly RecordPurpose[] = Object.freeze([
  'payload',
  'identity',
  'message',
  'note',
  'file-meta',
  'referral',
  'request',
  'employee-identity',
  'staging',
]);

const VERSION = CRYPTO_PARAMS.formatVersion;
const NONCE_BYTES = CRYPTO_PARAMS.aeadNonceBytes;
const HEADER_BYTES = 1 + NONCE_BYTES;

/**
 * Associated data of a record: UTF-8 of `parcelguard/v1/<purpose>/<contextId>`.
 * Exported for docs and independent implementations.
 */
export function recordAssociatedData(purpose: RecordPurpose, contextId: string): Uint8Array {
  if (!RECORD_PURPOSES.includes(purpose)) throw new RangeError('Unknown record purpose');
  if (typeof contextId !== 'string' || contextId.length === 0) throw new RangeError('contextId must be a non-empty string');
  return utf8(`${CRYPTO_PARAMS.recordAdPrefix}/${purpose}/${contextId}`);
}

/**
 * Seal a record with XChaCha20-Poly1305 (crypto_aead_xchacha20poly1305_ietf)
 * under `key` with a fresh random 24-byte nonce.
 *
 * The purpose and context id (the report id for report data) are bound as
 * associated data, so a ciphertext moved to another row, another report or
 * another field — e.g. a reporter's message passed off as the payload —
 * fails to open. Format: version(1) ‖ nonce(24) ‖ ciphertext ‖ tag(16).
 */
export function sealRecord(key: Uint8Array, purpose: RecordPurpose, contextId: string, plaintext: Uint8Array): Uint8Array {
  return sealRecordWithNonce(key, purpose, contextId, plaintext, sodium().randombytes_buf(NONCE_BYTES));
}

/** sealRecord with a caller-chosen nonce. Internal: test vectors only; never reuse a nonce. */
export function sealRecordWithNonce(
  key: Uint8Array,
  purpose: RecordPurpose,
  contextId: string,
  plaintext: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  assertSymmetricKey(key, 'Record key');
  if (nonce.byteLength !== NONCE_BYTES) throw new RangeError(`Nonce must be ${NONCE_BYTES} bytes`);
  const ad = recordAssociatedData(purpose, contextId);
  const ciphertext = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
  return concatBytes(Uint8Array.of(VERSION), nonce, ciphertext);
}

/**
 * Open a record sealed by sealRecord with the same key, purpose and context
 * id. Throws CryptoError on any failure, without saying which part failed.
 */
export function openRecord(key: Uint8Array, purpose: RecordPurpose, contextId: string, sealed: Uint8Array): Uint8Array {
  const s = sodium();
  let ad: Uint8Array;
  try {
    ad = recordAssociatedData(purpose, contextId);
  } catch {
    throw new CryptoError();
  }
  if (
    key.byteLength !== CRYPTO_PARAMS.symmetricKeyBytes ||
    sealed.byteLength < HEADER_BYTES + CRYPTO_PARAMS.aeadTagBytes ||
    sealed[0] !== VERSION
  ) {
    throw new CryptoError();
  }
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed.subarray(HEADER_BYTES), ad, sealed.subarray(1, HEADER_BYTES), key);
  } catch {
    throw new CryptoError();
  }
}

/** sealRecord over the UTF-8 JSON of `value` (JSON.stringify). */
export function sealJson(key: Uint8Array, purpose: RecordPurpose, contextId: string, value: unknown): Uint8Array {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('sealJson: value is not JSON-serialisable');
  return sealRecord(key, purpose, contextId, utf8(json));
}

/**
 * openRecord then JSON.parse. The result is typed as T but not validated:
 * it is authentic (only a key holder could have sealed it), yet callers that
 * depend on its shape across versions should still check it.
 */
export function openJson<T>(key: Uint8Array, purpose: RecordPurpose, contextId: string, sealed: Uint8Array): T {
  const plaintext = openRecord(key, purpose, contextId, sealed);
  try {
    return JSON.parse(fromUtf8(plaintext)) as T;
  } catch {
    throw new CryptoError();
  }
}
