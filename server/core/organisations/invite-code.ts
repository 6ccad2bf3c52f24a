import { hashToken, randomBytes } from '../crypto/index.js';

// Crockford base32: no I, L, O or U, so a code read aloud or copied from paper is hard to mistype.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_CHARS = 12;
const GROUP = 4;

/**
 * A fresh invite code: 12 Crockford base32 characters (60 bits) shown as XXXX-XXXX-XXXX.
 * Each random byte is reduced modulo 32; 256 is a multiple of 32, so every character is uniform.
 */
export function newInviteCode(): string {
  const bytes = randomBytes(CODE_CHARS);
  const chars = Array.from(bytes, (b) => ALPHABET[b % 32]!).join('');
  return chars.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-');
}

/**
 * What a person typed → the canonical 12 characters, or null. Accepts lower case, full-width
 * characters, spaces and dashes, and Crockford's look-alikes (I/L → 1, O → 0).
 */
export function normaliseInviteCode(typed: string): string | null {
  const canonical = typed
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
  return canonical.length === CODE_CHARS && [...canonical].every((c) => ALPHABET.includes(c)) ? canonical : null;
}

/**
 * Only this hash is stored. The code is 60 random bits and expires within weeks, so a plain
 * SHA-256 (hashToken) is enough: a database copy does not hand out working codes.
 */
export function inviteCodeHash(canonical: string): Uint8Array {
  return hashToken(`invite:${canonical}`);
}
