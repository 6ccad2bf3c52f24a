import { hashToken, isCrockford, normaliseCrockford, randomBytes, toCrockford } from '../crypto/index.js';

const CODE_CHARS = 12;
const GROUP = 4;

/**
 * A fresh invite code: 12 Crockford base32 characters (60 bits) shown as XXXX-XXXX-XXXX.
 * Crockford's alphabet has no I, L, O or U, so a code read aloud or copied from paper is hard to
 * mistype. The first 60 of 64 random bits, so every character is uniform.
 */
export function newInviteCode(): string {
  const chars = toCrockford(randomBytes(8)).slice(0, CODE_CHARS);
  return chars.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-');
}

/**
 * What a person typed → the canonical 12 characters, or null. Accepts lower case, full-width
 * characters, spaces and dashes, and Crockford's look-alikes (I/L → 1, O → 0).
 */
export function normaliseInviteCode(typed: string): string | null {
  const canonical = normaliseCrockford(typed);
  return canonical.length === CODE_CHARS && isCrockford(canonical) ? canonical : null;
}

/**
 * Only this hash is stored. The code is 60 random bits and expires within weeks, so a plain
 * SHA-256 (hashToken) is enough: a database copy does not hand out working codes.
 */
export function inviteCodeHash(canonical: string): Uint8Array {
  return hashToken(`invite:${canonical}`);
}
