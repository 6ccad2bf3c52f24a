import { dictionary, adjacencyGraphs } from '@zxcvbn-ts/language-common';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';

/**
 * Password and passphrase policy (staff and employees), after NIST SP 800-63B §5.1.1.2: no
 * composition rules, a refusal of passwords that attackers try first, and strength judged by the
 * guesses zxcvbn-ts estimates an attacker needs, not by Latin length rules, so an 11-character
 * Chinese sentence (about 10^11 guesses) passes while "password2024!" (10^7) does not. A staff password is what stands between a
 * stolen database and every report key that person holds (docs/crypto.md §6), so it must survive
 * an offline guessing run that starts with the common lists.
 */
export const PASSWORD_MIN_LENGTH = 8;
/** At least ~3×10^9 estimated guesses (log10 9.5): years of offline argon2id guessing per core. */
export const PASSWORD_MIN_GUESSES_LOG10 = 9.5;
/** Long enough for any passphrase; short enough that argon2 never hashes megabytes. */
export const PASSWORD_MAX_LENGTH = 256;

export type PasswordProblem = 'tooShort' | 'tooLong' | 'common' | 'guessable' | 'containsUsername';

// Built once: ~49,000 entries, compared case-insensitively.
const COMMON = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
// Words a guesser tries for this product in particular.
const CONTEXT_WORDS = ['parcelguard', 'jidiweishi', '寄递卫士', '12339'];

let estimator: ZxcvbnFactory | undefined;
/** log10 of the guesses zxcvbn-ts estimates for a password (the estimator is built on first use). */
export function estimatedGuessesLog10(password: string, userInputs: string[] = []): number {
  estimator ??= new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs });
  return estimator.check(password, [...CONTEXT_WORDS, ...userInputs]).guessesLog10;
}

/** Length counted in characters a person typed (code points), not UTF-16 units. */
function length(password: string): number {
  return [...password.normalize('NFC')].length;
}

/**
 * One unit repeated (aaaaaaaaaaaa, abcabcabcabc, "12339 12339 ") adds length but no strength; nor
 * does a run of consecutive characters (123456789012, abcdefghijkl).
 */
function isTrivialPattern(lower: string): boolean {
  for (let unit = 1; unit <= lower.length / 2; unit++) {
    const head = lower.slice(0, unit);
    if (head.repeat(Math.ceil(lower.length / unit)).slice(0, lower.length) === lower) return true;
  }
  const codes = [...lower].map((c) => c.codePointAt(0)!);
  const steps = new Set(codes.slice(1).map((c, i) => c - codes[i]!));
  return steps.size === 1 && [1, -1].includes([...steps][0]!);
}

/** Strips a product word or common password used as a base, then checks what is left is more than padding. */
function isCommonWithPadding(lower: string): boolean {
  const stem = lower.replace(/[\d\s!@#$%^&*._-]+$/u, '').replace(/^[\d\s!@#$%^&*._-]+/u, '');
  return stem !== lower && stem.length >= 4 && (COMMON.has(stem) || CONTEXT_WORDS.includes(stem));
}

/** Returns the first problem with a candidate password, or null when it is acceptable. */
export function checkPassword(password: string, username?: string): PasswordProblem | null {
  const n = length(password);
  if (n < PASSWORD_MIN_LENGTH) return 'tooShort';
  if (n > PASSWORD_MAX_LENGTH) return 'tooLong';
  const lower = password.normalize('NFKC').toLowerCase();
  if (COMMON.has(lower) || isTrivialPattern(lower) || isCommonWithPadding(lower)) return 'common';
  if (CONTEXT_WORDS.some((w) => lower === w || lower.replace(/[\d\s]+/g, '') === w)) return 'common';
  if (username && username.length >= 3 && lower.includes(username.toLowerCase())) return 'containsUsername';
  if (estimatedGuessesLog10(password.normalize('NFC'), username ? [username] : []) < PASSWORD_MIN_GUESSES_LOG10) return 'guessable';
  return null;
}
