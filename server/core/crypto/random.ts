import { timingSafeEqual } from 'node:crypto';
import { CRYPTO_PARAMS } from './params.js';
import { sodium } from './sodium.js';
import { toBase64Url } from './encoding.js';

/** An X25519 key pair as used by crypto_box_seal. */
export interface BoxKeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** `n` bytes from libsodium's CSPRNG (randombytes_buf, backed by the OS). */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('randomBytes: n must be a non-negative integer');
  return sodium().randombytes_buf(n);
}

/**
 * A fresh 32-byte symmetric key (report key K, notes key KN, identity key KI,
 * file keys F). Uniformly random, so every key is independent of every other.
 */
export function newSymmetricKey(): Uint8Array {
  return randomBytes(CRYPTO_PARAMS.symmetricKeyBytes);
}

/** A fresh X25519 key pair (crypto_box_keypair) for staff, reporters and escrow. */
export function generateBoxKeyPair(): BoxKeyPair {
  const { publicKey, privateKey } = sodium().crypto_box_keypair();
  return { publicKey, privateKey };
}

/** The X25519 public key of a private key (an offline key file holds only the private half). */
export function publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array {
  return sodium().crypto_scalarmult_base(privateKey);
}

const RECEIPT_HALF = 100_000_000; // 10^8 < 2^32, the bound randombytes_uniform accepts

/**
 * A 16-digit decimal receipt for an anonymous reporter (~53 bits).
 *
 * Built from two randombytes_uniform(10^8) draws, which reject out-of-range
 * values instead of reducing modulo 10^8, so every receipt is equally likely;
 * a biased receipt space would shorten offline guessing of the lookup hash.
 */
export function generateReceipt(): string {
  const s = sodium();
  const half = (): string => String(s.randombytes_uniform(RECEIPT_HALF)).padStart(8, '0');
  return half() + half();
}

/**
 * An unguessable token for URLs and cookies: `bytes` random bytes (default
 * 32, i.e. 256 bits) as unpadded base64url.
 */
export function newToken(bytes: number = CRYPTO_PARAMS.tokenBytes): string {
  return toBase64Url(randomBytes(bytes));
}

/**
 * Compare two byte strings without a data-dependent early exit
 * (crypto.timingSafeEqual), so a secret cannot be recovered byte by byte from
 * response times. Lengths are not secret: different lengths return false.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}
