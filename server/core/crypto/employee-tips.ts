import { hkdfSync } from 'node:crypto';
import { hmacSha256 } from './hashing.js';
import { toHex, utf8 } from './encoding.js';
import { sodium } from './sodium.js';
import type { BoxKeyPair } from './random.js';

/**
 * What links an employee to their tips exists only under the employee's own private key
 * (docs/crypto.md §3): a tip secret S derived from it, tags HMAC(S, ordinal) stored on the tips,
 * and one X25519 key pair per tip derived from S and the tag. The database holds tags and public
 * keys that nothing without S relates to the account; the employee, signed in, recomputes them.
 */
const TIP_SECRET_CONTEXT = 'parcelguard/v1/employee-tip-secret';

/** S = HKDF-SHA-256(IKM = the account's X25519 private key, salt = empty, info = context), 32 bytes. */
export function employeeTipSecret(accountPrivateKey: Uint8Array): Uint8Array {
  if (accountPrivateKey.byteLength !== 32) throw new RangeError('employeeTipSecret: a 32-byte private key is required');
  return new Uint8Array(hkdfSync('sha256', accountPrivateKey, new Uint8Array(0), utf8(TIP_SECRET_CONTEXT), 32));
}

/** The tag of the employee's n-th tip (n = 0, 1, …): HMAC-SHA-256(S, "tip-tag|" + n). */
export function employeeTipTag(tipSecret: Uint8Array, ordinal: number): Uint8Array {
  if (!Number.isSafeInteger(ordinal) || ordinal < 0) throw new RangeError('employeeTipTag: ordinal must be a non-negative integer');
  return hmacSha256(tipSecret, utf8(`tip-tag|${ordinal}`));
}

/**
 * The tip's reporter key pair: crypto_box_seed_keypair(HMAC-SHA-256(S, "tip-key|" + hex(tag))).
 * Its public key is the report's reporter key, so grants to "the reporter" open for this
 * employee only, and a row whose tag was copied from another tip does not match its key.
 */
export function employeeTipKeyPair(tipSecret: Uint8Array, tag: Uint8Array): BoxKeyPair {
  const seed = hmacSha256(tipSecret, utf8(`tip-key|${toHex(tag)}`));
  const { publicKey, privateKey } = sodium().crypto_box_seed_keypair(seed);
  seed.fill(0);
  return { publicKey, privateKey };
}
