import { CryptoError, newToken, openSealedKey, unwrapKey, wrapKey, type BoxKeyPair, type Kdf } from '../crypto/index.js';
import type { Credentials, StaffRow } from './repository.js';

/**
 * How a staff password protects the private key (docs/crypto.md §3): a login verifier
 * (argon2id, its own salt) and a KEK (argon2id, a per-user salt) that wraps the key.
 */
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

export type Unlocked = { readonly row: StaffRow; readonly keys: BoxKeyPair };

/**
 * Checks a password and unwraps the private key. Every call does the same two argon2id
 * computations, whether the account exists, is inactive, or the password is wrong, so the response
 * time says nothing about which; the TOTP check that follows costs no argon2id either. Returns
 * null for every failure without saying which.
 */
export async function unlockWithPassword(kdf: Kdf, row: StaffRow | undefined, password: string): Promise<Unlocked | null> {
  const decoy = await decoyFor(kdf);
  const usable = row && row.password_hash && row.kek_salt && row.wrapped_private_key && row.public_key;
  const verifier = usable ? row.password_hash! : decoy.verifier;
  const salt = usable ? new Uint8Array(row.kek_salt!) : decoy.salt;
  const cost = usable && row.kek_cost ? row.kek_cost : kdf.currentCost();
  const [ok, kek] = await Promise.all([kdf.verifyPassword(verifier, password), kdf.deriveKek(password, salt, cost)]);
  if (!usable || !ok) {
    kek.fill(0);
    return null;
  }
  try {
    const privateKey = unwrapKey(new Uint8Array(row.wrapped_private_key!), kek);
    return { row, keys: { publicKey: new Uint8Array(row.public_key!), privateKey } };
  } catch (err) {
    if (err instanceof CryptoError) return null;
    throw err;
  } finally {
    kek.fill(0);
  }
}

/** The TOTP secret is sealed to the staff member's own public key; only their unlocked key opens it. */
export function openTotpSecret(row: StaffRow, keys: BoxKeyPair): Uint8Array | null {
  if (!row.totp_secret_sealed) return null;
  try {
    return openSealedKey(new Uint8Array(row.totp_secret_sealed), keys);
  } catch (err) {
    if (err instanceof CryptoError) return null;
    throw err;
  }
}

export function keysOf(row: StaffRow, privateKey: Uint8Array): BoxKeyPair | null {
  return row.public_key ? { publicKey: new Uint8Array(row.public_key), privateKey } : null;
}
