import { createHash, createHmac } from 'node:crypto';
import { utf8 } from './encoding.js';

/** An incremental SHA-256, e.g. for hashing an upload while it streams. */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  digest(): Uint8Array;
}

function plain(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer);
}

/** Incremental SHA-256 (node:crypto), so a file's digest needs no full copy in memory. */
export function createSha256(): Sha256 {
  const hash = createHash('sha256');
  return {
    update(bytes) {
      hash.update(bytes);
    },
    digest() {
      return plain(hash.digest());
    },
  };
}

/** SHA-256 of `bytes` (node:crypto). */
export function sha256(bytes: Uint8Array): Uint8Array {
  return plain(createHash('sha256').update(bytes).digest());
}

/** HMAC-SHA-256 (node:crypto): a keyed hash that cannot be recomputed without the key. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return plain(createHmac('sha256', key).update(data).digest());
}

/**
 * SHA-256 of a high-entropy token (session id, enrolment token), as stored
 * for lookups. The database then holds only the hash, so a copy of it does
 * not yield live tokens; a plain hash suffices because the tokens are 256-bit
 * random, not guessable passwords.
 */
export function hashToken(token: string): Uint8Array {
  return sha256(utf8(token));
}

const MIN_SECRET_BYTES = 16;

/**
 * Keyed hashes are only as strong as their key: refuse an empty or short
 * key, which would quietly turn an index into an unkeyed, guessable hash.
 */
export function assertServerSecret(key: Uint8Array, caller: string): void {
  if (key.byteLength < MIN_SECRET_BYTES) throw new RangeError(`${caller}: key must be at least ${MIN_SECRET_BYTES} bytes`);
}
