import { CryptoError, newToken, unwrapKey, wrapKey, type Kdf } from '../crypto/index.js';

/**
 * How a password protects an account's private key, the same for staff and delivery employees
 * (docs/crypto.md §3): a login verifier (argon2id, its own salt) and a KEK (argon2id, a per-account
 * salt, at the cost recorded beside it) that wraps the key. Staff sign-in, recovery and password
 * change, and employee join, sign-in and password change all go through this module and through
 * the attempt reservation in ./throttle.ts, which runs before any of it.
 */
export type Credentials = {
  readonly passwordHash: string;
  readonly kekSalt: Uint8Array;
  readonly kekCost: string;
  readonly wrappedPrivateKey: Uint8Array;
};

/** As stored: accounts wrapped before costs were recorded have no cost (the configured one then). */
export type StoredCredentials = Omit<Credentials, 'kekCost'> & { readonly kekCost: string | null };

export async function newCredentials(kdf: Kdf, password: string, privateKey: Uint8Array): Promise<Credentials> {
  const kekSalt = kdf.newSalt();
  const kekCost = kdf.currentCost();
  // Both derivations go through the Kdf's semaphore, so running them together bounds memory the same way.
  const [kek, passwordHash] = await Promise.all([kdf.deriveKek(password, kekSalt, kekCost), kdf.hashPassword(password)]);
  try {
    return { passwordHash, kekSalt, kekCost, wrappedPrivateKey: wrapKey(privateKey, kek) };
  } finally {
    kek.fill(0);
  }
}

type Decoy = { readonly verifier: string; readonly salt: Uint8Array };
const decoys = new WeakMap<Kdf, Promise<Decoy>>();

/** A verifier and salt for accounts that do not exist, made once per Kdf with its own cost. */
function decoyFor(kdf: Kdf): Promise<Decoy> {
  let decoy = decoys.get(kdf);
  if (!decoy) {
    decoy = kdf.hashPassword(newToken()).then((verifier) => ({ verifier, salt: kdf.newSalt() }));
    decoys.set(kdf, decoy);
  }
  return decoy;
}

/**
 * Checks a password and unwraps the private key. Every call does the same two argon2id
 * computations (verifier and KEK), whether the account exists or the password is wrong, so the
 * response time says nothing about which. Returns null for every failure without saying which.
 */
export async function unlockPrivateKey(kdf: Kdf, stored: StoredCredentials | null, password: string): Promise<Uint8Array | null> {
  const decoy = await decoyFor(kdf);
  const verifier = stored ? stored.passwordHash : decoy.verifier;
  const salt = stored ? stored.kekSalt : decoy.salt;
  const cost = stored?.kekCost ?? kdf.currentCost();
  const [ok, kek] = await Promise.all([kdf.verifyPassword(verifier, password), kdf.deriveKek(password, salt, cost)]);
  if (!stored || !ok) {
    kek.fill(0);
    return null;
  }
  try {
    return unwrapKey(stored.wrappedPrivateKey, kek);
  } catch (err) {
    if (err instanceof CryptoError) return null;
    throw err;
  } finally {
    kek.fill(0);
  }
}

/**
 * The current password, inside a session that already holds the private key (a password change):
 * one argon2id verification, nothing to unwrap.
 */
export async function verifyCurrentPassword(kdf: Kdf, stored: StoredCredentials | null, password: string): Promise<boolean> {
  const verifier = stored ? stored.passwordHash : (await decoyFor(kdf)).verifier;
  const ok = await kdf.verifyPassword(verifier, password);
  return ok && stored !== null;
}

/** True when the key was wrapped at another argon2id cost than the configured one: re-wrap it while the password is at hand. */
export function needsRewrap(kdf: Kdf, stored: StoredCredentials): boolean {
  return stored.kekCost !== kdf.currentCost();
}
