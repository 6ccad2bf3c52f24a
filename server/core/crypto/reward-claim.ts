import { concatBytes } from './bytes.js';
import { normaliseCrockford, toCrockford, utf8 } from './encoding.js';
import { constantTimeEqual, randomBytes } from './random.js';
import { sodium } from './sodium.js';

/**
 * Anonymous proof of authorship for a reward (docs/crypto.md §4.10).
 *
 * The reporter is shown a claim code once: 100 random bits, written as 20 Crockford characters in
 * four groups. The portal keeps only a commitment to it,
 *
 *   commitment = BLAKE2b-256(key = salt, message = "parcelguard reward claim v1" ‖ 0x00 ‖ caseNumber ‖ 0x00 ‖ code)
 *
 * with a fresh 32-byte salt, and puts the salt and the commitment (never the code) into the referral
 * record and the sealed referral bundle. The receiving body, given the code by the claimant through
 * its own channel, recomputes the commitment from the bundle's salt and case number; a match shows
 * that the claimant holds what only the reporter's screen ever displayed. 100 bits make guessing the
 * code from a stolen commitment hopeless; the salt keeps one commitment from being compared with
 * another; the case number binds the code to its case.
 */
export const CLAIM_SCHEME = 'blake2b-256-keyed/parcelguard-reward-claim-v1';
const CONTEXT = utf8('parcelguard reward claim v1');
const CODE_CHARS = 20;
const CANONICAL = /^[0-9A-HJKMNP-TV-Z]{20}$/;
const SALT_BYTES = 32;
const COMMITMENT_BYTES = 32;

export type ClaimCommitment = { readonly salt: Uint8Array; readonly commitment: Uint8Array };

/** A fresh claim code, "XXXXX-XXXXX-XXXXX-XXXXX" (100 random bits). */
export function newClaimCode(): string {
  // 13 random bytes are 21 characters; the first 20 carry 100 random bits.
  const text = toCrockford(randomBytes(13)).slice(0, CODE_CHARS);
  return text.match(/.{5}/g)!.join('-');
}

/** What a person typed → the 20 canonical characters, or null when it cannot be a claim code. */
export function normaliseClaimCode(typed: string): string | null {
  const text = normaliseCrockford(typed);
  return CANONICAL.test(text) ? text : null;
}

function digest(salt: Uint8Array, caseNumber: string, code: string): Uint8Array {
  const message = concatBytes(CONTEXT, new Uint8Array([0]), utf8(caseNumber), new Uint8Array([0]), utf8(code));
  return sodium().crypto_generichash(COMMITMENT_BYTES, message, salt);
}

/** The commitment the portal stores for a code it has just shown (the code is then forgotten). */
export function commitClaimCode(caseNumber: string, code: string, salt: Uint8Array = randomBytes(SALT_BYTES)): ClaimCommitment {
  const canonical = normaliseClaimCode(code);
  if (!canonical) throw new TypeError('not a claim code');
  return { salt, commitment: digest(salt, caseNumber, canonical) };
}

/** The receiving body's check: does the typed code open this commitment? */
export function checkClaimCode(caseNumber: string, typed: string, claim: ClaimCommitment): boolean {
  const canonical = normaliseClaimCode(typed);
  if (!canonical || claim.salt.byteLength !== SALT_BYTES || claim.commitment.byteLength !== COMMITMENT_BYTES) return false;
  return constantTimeEqual(digest(claim.salt, caseNumber, canonical), claim.commitment);
}
