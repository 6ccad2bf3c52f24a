import { hkdfSync } from 'node:crypto';
import { assertServerSecret, hmacSha256 } from './hashing.js';
import { toHex, utf8 } from './encoding.js';

/**
 * One key per purpose (docs/crypto.md §3.1). The secrets file holds a few random roots; every new
 * purpose gets its own subkey, HKDF-SHA-256(root, salt = empty, info = context string), so no two
 * purposes ever share a key and learning one subkey says nothing about the root or its siblings.
 *
 * Two roots keep an old, direct use because what they computed is stored and must keep matching:
 * the blind-index key still IS the linking key (existing reports' blind indexes must keep linking,
 * and they cannot be recomputed without the sealed values), and it still opens the legacy employee
 * login lookups until each employee's next sign-in replaces theirs. HKDF takes a root only as input
 * keying material (the message of HMAC under a fixed all-zero salt), never as an HMAC key, so a
 * derived subkey is unrelated to any MAC computed with the root itself.
 */
export type SecretRoots = { readonly blindIndexKey: Uint8Array; readonly rateLimitKey: Uint8Array };

/** HKDF info strings. Changing one changes every key derived with it: they are part of the format. */
export const SUBKEY_CONTEXTS = Object.freeze({
  /** argon2id salt of employee login lookups; root: the blind-index key. */
  employeeLoginSalt: 'parcelguard/v1/employee-login-salt',
  /** Buckets employee phone numbers for the per-account throttle; root: the rate-limit key. */
  employeeThrottle: 'parcelguard/v1/employee-throttle',
  /** MACs trusted-device cookies; root: the rate-limit key. */
  trustedDevice: 'parcelguard/v1/trusted-device',
  /** Followed by the bucket name: one key per rate-limit bucket; root: the rate-limit key. */
  rateLimitBucket: 'parcelguard/v1/rate-limit/',
  /** HMAC key of the audit chain (chain version 2); root: the blind-index key. */
  auditChain: 'parcelguard/v1/audit-chain',
  /** HMAC key of audit checkpoints written outside the database; root: the blind-index key. */
  auditCheckpoint: 'parcelguard/v1/audit-checkpoint',
  /** Seals alert channels' webhook URLs and signing secrets; root: the blind-index key. */
  alertChannel: 'parcelguard/v1/alert-channel',
});

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const cache = new WeakMap<Uint8Array, Map<string, Uint8Array>>();

/** HKDF-SHA-256 (RFC 5869) with an empty salt, `length` bytes of output. Memoised per root and context. */
export function deriveSubkey(root: Uint8Array, context: string, length = 32): Uint8Array {
  assertServerSecret(root, 'deriveSubkey');
  let known = cache.get(root);
  if (!known) cache.set(root, (known = new Map()));
  const id = `${length}:${context}`;
  let key = known.get(id);
  if (!key) known.set(id, (key = new Uint8Array(hkdfSync('sha256', root, new Uint8Array(0), utf8(context), length))));
  // A copy: a caller that wipes its key after use must not wipe the cached one.
  return key.slice();
}

/** The 16-byte argon2id salt of employee login lookups (secret: a database alone cannot start guessing). */
export function employeeLoginSalt(roots: SecretRoots): Uint8Array {
  return deriveSubkey(roots.blindIndexKey, SUBKEY_CONTEXTS.employeeLoginSalt, 16);
}

export function employeeThrottleKey(roots: SecretRoots): Uint8Array {
  return deriveSubkey(roots.rateLimitKey, SUBKEY_CONTEXTS.employeeThrottle);
}

export function trustedDeviceKey(roots: SecretRoots): Uint8Array {
  return deriveSubkey(roots.rateLimitKey, SUBKEY_CONTEXTS.trustedDevice);
}

export function rateLimitBucketKey(roots: SecretRoots, bucket: string): Uint8Array {
  if (!BUCKET_NAME.test(bucket)) throw new RangeError('rateLimitBucketKey: bucket names are lower-case letters, digits and dashes');
  return deriveSubkey(roots.rateLimitKey, SUBKEY_CONTEXTS.rateLimitBucket + bucket);
}

/**
 * The audit chain's keys. Rooted in the blind-index key because, like it, it must never be rotated
 * (a new key would make every keyed row unverifiable), while the rate-limit key may be.
 */
export function auditChainKey(roots: SecretRoots): Uint8Array {
  return deriveSubkey(roots.blindIndexKey, SUBKEY_CONTEXTS.auditChain);
}

export function auditCheckpointKey(roots: SecretRoots): Uint8Array {
  return deriveSubkey(roots.blindIndexKey, SUBKEY_CONTEXTS.auditCheckpoint);
}

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/**
 * The key a rate-limit counter is stored under: hex HMAC-SHA-256(bucket key, UTF-8(day + "|" +
 * subject)), day = YYYY-MM-DD (UTC) of the counting window's start. The subject (a client's
 * network prefix, an account name) is never stored; the bucket key makes the same client's rows in
 * two buckets unrelated, and the day makes one day's rows unrelated to the next day's.
 */
export function rateLimitCounterKey(bucketKey: Uint8Array, day: string, subject: string): string {
  assertServerSecret(bucketKey, 'rateLimitCounterKey');
  if (!DAY.test(day)) throw new RangeError('rateLimitCounterKey: day must be YYYY-MM-DD');
  return toHex(hmacSha256(bucketKey, utf8(`${day}|${subject}`)));
}

/** Seals the group-robot webhooks (URL and signing secret): a copy of the database alone cannot post into the group. */
export function alertChannelKey(roots: SecretRoots): Uint8Array {
  return deriveSubkey(roots.blindIndexKey, SUBKEY_CONTEXTS.alertChannel);
}
