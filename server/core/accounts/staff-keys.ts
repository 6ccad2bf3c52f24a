import { CryptoError, openSealedKey, type BoxKeyPair, type Kdf } from '../crypto/index.js';
import type { StaffRow } from './repository.js';
import { unlockPrivateKey, type StoredCredentials } from './credentials.js';

/** A staff row's password credentials, or null while it has none (a pending account). */
export function staffCredentials(row: StaffRow | undefined): StoredCredentials | null {
  if (!row?.password_hash || !row.kek_salt || !row.wrapped_private_key || !row.public_key) return null;
  return {
    passwordHash: row.password_hash,
    kekSalt: new Uint8Array(row.kek_salt),
    kekCost: row.kek_cost,
    wrappedPrivateKey: new Uint8Array(row.wrapped_private_key),
  };
}

export type Unlocked = { readonly row: StaffRow; readonly keys: BoxKeyPair };

/**
 * A staff member's key pair from their password, or null. Whether the account exists, is pending
 * or the password is wrong, the work is the same (./credentials.ts), so timing tells nothing.
 */
export async function unlockStaff(kdf: Kdf, row: StaffRow | undefined, password: string): Promise<Unlocked | null> {
  const privateKey = await unlockPrivateKey(kdf, staffCredentials(row), password);
  return row && privateKey ? { row, keys: { publicKey: new Uint8Array(row.public_key!), privateKey } } : null;
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

/** The form in which sign-in limits and device cookies name a staff account: its username, case- and width-folded. */
export function staffAccountName(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}
