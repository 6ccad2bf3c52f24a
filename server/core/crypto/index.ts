/**
 * The crypto facade: the only module that touches libsodium and argon2.
 * See docs/crypto.md for the key hierarchy, byte formats and threat model.
 */
export { CRYPTO_PARAMS, type Argon2Params } from './params.js';
export { cryptoReady } from './sodium.js';
export { CryptoError } from './errors.js';
export {
  toBase64,
  fromBase64,
  toBase64Url,
  toHex,
  fromHex,
  utf8,
  fromUtf8,
  toCrockford,
  fromCrockford,
  normaliseCrockford,
  isCrockford,
} from './encoding.js';
export {
  randomBytes,
  newSymmetricKey,
  generateBoxKeyPair,
  publicKeyFromPrivate,
  generateReceipt,
  newToken,
  constantTimeEqual,
  type BoxKeyPair,
} from './random.js';
export { newRecoveryKey, formatRecoveryKey, parseRecoveryKey } from './recovery.js';
export { createSha256, sha256, hmacSha256, hashToken, type Sha256 } from './hashing.js';
export {
  deriveSubkey,
  employeeLoginSalt,
  employeeThrottleKey,
  trustedDeviceKey,
  rateLimitBucketKey,
  rateLimitCounterKey,
  auditChainKey,
  auditCheckpointKey,
  alertChannelKey,
  SUBKEY_CONTEXTS,
  type SecretRoots,
} from './subkeys.js';
export { employeeTipSecret, employeeTipTag, employeeTipKeyPair } from './employee-tips.js';
export { normaliseWaybill, normalisePhone, blindIndex, type BlindIndexKind } from './blind-index.js';
export { Kdf, normaliseReceipt, standardPhcOrder, formatKdfCost, parseKdfCost, type ReceiptKeys, type KdfCost } from './kdf.js';
export { wrapKey, unwrapKey } from './wrap.js';
export { sealRecord, openRecord, sealJson, openJson, RECORD_PURPOSES, type RecordPurpose, type RecordBinding } from './records.js';
export { sealKeyTo, openSealedKey, resealKey } from './grants.js';
export { keyFingerprint, normaliseFingerprint } from './fingerprint.js';
export { encryptChunks, decryptChunks, ciphertextChunkSize } from './stream.js';
export { sealBundle, openBundle, BUNDLE_MAGIC } from './bundle.js';
export { CLAIM_SCHEME, newClaimCode, normaliseClaimCode, commitClaimCode, checkClaimCode, type ClaimCommitment } from './reward-claim.js';
export { sealForBrowser, openFromBrowser } from './short-lived.js';
