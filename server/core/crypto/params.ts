/**
 * The one table of cryptographic sizes and cost parameters.
 *
 * Every length and cost used by the facade is read from here so that a
 * reviewer can audit the whole configuration in one place, and so that
 * docs/crypto.md can be checked against a single source.
 */

/** Argon2id cost parameters. Production defaults live in CRYPTO_PARAMS.argon2. */
export interface Argon2Params {
  /** Memory per derivation in KiB (argon2 `m`). */
  memoryKiB: number;
  /** Number of passes over memory (argon2 `t`). */
  iterations: number;
  /** Lanes per derivation (argon2 `p`). */
  parallelism: number;
  /**
   * How many derivations may run at once in this process. Peak argon2 memory
   * is memoryKiB × maxConcurrent, so this bounds memory under a login or
   * submission flood; further requests wait in a FIFO queue.
   */
  maxConcurrent: number;
}

export const CRYPTO_PARAMS = Object.freeze({
  /** First byte of every versioned object (wrapped keys; records written before 2026-12). */
  formatVersion: 1,
  /** First byte of records written now: version 2 binds named row attributes into the AD. */
  recordVersion: 2,
  /** Symmetric keys: K, KN, KI, F, KEKs, recovery keys, session secrets. */
  symmetricKeyBytes: 32,
  /** X25519 public and private key length. */
  boxPublicKeyBytes: 32,
  boxPrivateKeyBytes: 32,
  /** crypto_box_seal overhead: ephemeral public key (32) + Poly1305 tag (16). */
  sealedBoxOverheadBytes: 48,
  /** crypto_secretbox (XSalsa20-Poly1305) nonce and tag. */
  secretboxNonceBytes: 24,
  secretboxTagBytes: 16,
  /** crypto_aead_xchacha20poly1305_ietf nonce and tag. */
  aeadNonceBytes: 24,
  aeadTagBytes: 16,
  /** Prefix of the associated data of a record: `${prefix}${version}/${purpose}/${contextId}`. */
  recordAdPrefix: 'parcelguard/v',
  /** crypto_secretstream_xchacha20poly1305: plaintext bytes per message. */
  streamChunkBytes: 64 * 1024,
  /** Stream header (24) and per-message overhead (1 tag byte + 16 MAC bytes). */
  streamHeaderBytes: 24,
  streamOverheadBytes: 17,
  /** Salts for argon2id (per-user KEK salt, installation receipt salt). */
  saltBytes: 16,
  /** Receipts handed to anonymous reporters: decimal digits. */
  receiptDigits: 16,
  /** Random bytes in a URL/cookie token before base64url encoding. */
  tokenBytes: 32,
  /** Argon2id production defaults (OWASP 2023 "m=64 MiB, t=3, p=1" class). */
  argon2: Object.freeze({
    memoryKiB: 65536,
    iterations: 3,
    parallelism: 1,
    maxConcurrent: 2,
  } satisfies Argon2Params),
  /** Output of the KEK and password derivations. */
  kekBytes: 32,
  /** Receipt derivation output: 32-byte lookup hash then 32-byte KEK. */
  receiptDerivationBytes: 64,
  /** Employee login lookup (argon2id over the phone number). */
  loginLookupBytes: 32,
});
