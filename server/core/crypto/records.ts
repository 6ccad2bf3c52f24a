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
  | 'staging'
  | 'alert-channel';

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
  'alert-channel',
]);

/**
 * Row attributes bound into a version-2 record's associated data, e.g. a message's author kind and
 * author id or the report's channel and creation time. The reader passes the values from the row it
 * read, so a row relabelled in the database no longer opens. Version-1 records bind none.
 */
export type RecordBinding = Readonly<Record<string, string>>;
export type RecordVersion = 1 | 2;

const VERSION = CRYPTO_PARAMS.recordVersion as RecordVersion;
const NONCE_BYTES = CRYPTO_PARAMS.aeadNonceBytes;
const HEADER_BYTES = 1 + NONCE_BYTES;
const BINDING_NAME = /^[a-z][a-z_]{0,31}$/;

/**
 * Associated data of a record, UTF-8 of:
 *   version 1: `parcelguard/v1/<purpose>/<contextId>`
 *   version 2: `parcelguard/v2/<purpose>/<contextId>` then, for each bound attribute in
 *              ascending name order, `\n<name>=<value>` (no name or value holds a line break).
 * Exported for docs and independent implementations.
 */
export function recordAssociatedData(purpose: RecordPurpose, contextId: string, version: RecordVersion = 1, binding: RecordBinding = {}): Uint8Array {
  if (!RECORD_PURPOSES.includes(purpose)) throw new RangeError('Unknown record purpose');
  if (typeof contextId !== 'string' || contextId.length === 0) throw new RangeError('contextId must be a non-empty string');
  const head = `${CRYPTO_PARAMS.recordAdPrefix}${version}/${purpose}/${contextId}`;
  if (version === 1) return utf8(head);
  if (contextId.includes('\n')) throw new RangeError('contextId must not contain a line break');
  const lines = Object.keys(binding)
    .sort()
    .map((name) => {
      const value = binding[name]!;
      if (!BINDING_NAME.test(name) || typeof value !== 'string' || value.includes('\n')) throw new RangeError('Malformed record binding');
      return `\n${name}=${value}`;
    });
  return utf8(head + lines.join(''));
}

/**
 * Seal a record with XChaCha20-Poly1305 (crypto_aead_xchacha20poly1305_ietf)
 * under `key` with a fresh random 24-byte nonce, as record version 2.
 *
 * The purpose, the context id (the report id for report data) and the bound
 * row attributes are the associated data, so a ciphertext moved to another
 * row, report or field — e.g. a reporter's message passed off as the payload —
 * or a row relabelled (a reporter's message marked as staff-written) fails to
 * open. Format: version(1) ‖ nonce(24) ‖ ciphertext ‖ tag(16).
 */
export function sealRecord(key: Uint8Array, purpose: RecordPurpose, contextId: string, plaintext: Uint8Array, binding: RecordBinding = {}): Uint8Array {
  return sealRecordWithNonce(key, purpose, contextId, plaintext, sodium().randombytes_buf(NONCE_BYTES), { binding });
}

/** sealRecord with a caller-chosen nonce (and version). Internal: test vectors only; never reuse a nonce. */
export function sealRecordWithNonce(
  key: Uint8Array,
  purpose: RecordPurpose,
  contextId: string,
  plaintext: Uint8Array,
  nonce: Uint8Array,
  format: { version?: RecordVersion; binding?: RecordBinding } = {},
): Uint8Array {
  assertSymmetricKey(key, 'Record key');
  if (nonce.byteLength !== NONCE_BYTES) throw new RangeError(`Nonce must be ${NONCE_BYTES} bytes`);
  const version = format.version ?? VERSION;
  const ad = recordAssociatedData(purpose, contextId, version, format.binding);
  const ciphertext = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
  return concatBytes(Uint8Array.of(version), nonce, ciphertext);
}

/**
 * Open a record sealed by sealRecord with the same key, purpose, context id
 * and binding (ignored for version-1 records, which bound none). Throws
 * CryptoError on any failure, without saying which part failed.
 */
export function openRecord(key: Uint8Array, purpose: RecordPurpose, contextId: string, sealed: Uint8Array, binding: RecordBinding = {}): Uint8Array {
  const s = sodium();
  const version = sealed[0];
  if (
    key.byteLength !== CRYPTO_PARAMS.symmetricKeyBytes ||
    sealed.byteLength < HEADER_BYTES + CRYPTO_PARAMS.aeadTagBytes ||
    (version !== 1 && version !== 2)
  ) {
    throw new CryptoError();
  }
  let ad: Uint8Array;
  try {
    ad = recordAssociatedData(purpose, contextId, version, binding);
  } catch {
    throw new CryptoError();
  }
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed.subarray(HEADER_BYTES), ad, sealed.subarray(1, HEADER_BYTES), key);
  } catch {
    throw new CryptoError();
  }
}

/** sealRecord over the UTF-8 JSON of `value` (JSON.stringify). */
export function sealJson(key: Uint8Array, purpose: RecordPurpose, contextId: string, value: unknown, binding: RecordBinding = {}): Uint8Array {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('sealJson: value is not JSON-serialisable');
  return sealRecord(key, purpose, contextId, utf8(json), binding);
}

/**
 * openRecord then JSON.parse. The result is typed as T but not validated:
 * it is authentic (only a key holder could have sealed it), yet callers that
 * depend on its shape across versions should still check it.
 */
export function openJson<T>(key: Uint8Array, purpose: RecordPurpose, contextId: string, sealed: Uint8Array, binding: RecordBinding = {}): T {
  const plaintext = openRecord(key, purpose, contextId, sealed, binding);
  try {
    return JSON.parse(fromUtf8(plaintext)) as T;
  } catch {
    throw new CryptoError();
  }
}
