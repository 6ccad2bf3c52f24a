import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { hmacSha256, randomBytes, utf8 } from '../crypto/index.js';

export type Installation = {
  /** argon2id cost of receipt derivations, fixed when the installation was created (stored form). */
  readonly receiptKdfCost: string;
  /**
   * The salt receipt derivations actually use: HMAC-SHA-256(receiptPepper, "receipt-salt" ‖ receipt_salt).
   * The stored salt alone is not enough to test a receipt guess; the pepper from the secrets file is needed too.
   */
  readonly receiptDerivationSalt: Uint8Array;
  /** Organisation escrow public key, when one was set up with `npm run cli -- escrow:init`. */
  readonly escrowPublicKey: Uint8Array | null;
};

/** Creates the single installation row on first start; every later call reads it. */
export async function ensureInstallation(db: Kysely<DB>, receiptKdfCost: string, receiptPepper: Uint8Array): Promise<Installation> {
  await db
    .insertInto('installation')
    .values({ receipt_salt: randomBytes(16), receipt_kdf_cost: receiptKdfCost })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  // Installations created before costs were recorded used the cost configured at the time.
  await db.updateTable('installation').set({ receipt_kdf_cost: receiptKdfCost }).where('receipt_kdf_cost', 'is', null).execute();
  return readInstallation(db, receiptPepper);
}

export async function readInstallation(db: Kysely<DB>, receiptPepper: Uint8Array): Promise<Installation> {
  const row = await db.selectFrom('installation').select(['receipt_salt', 'receipt_kdf_cost', 'escrow_public_key']).where('id', '=', 1).executeTakeFirstOrThrow();
  if (!row.receipt_kdf_cost) throw new Error('installation row has no receipt_kdf_cost; start the server once to record it');
  return {
    receiptDerivationSalt: receiptDerivationSalt(receiptPepper, new Uint8Array(row.receipt_salt)),
    receiptKdfCost: row.receipt_kdf_cost,
    escrowPublicKey: row.escrow_public_key ? new Uint8Array(row.escrow_public_key) : null,
  };
}

export function receiptDerivationSalt(receiptPepper: Uint8Array, storedSalt: Uint8Array): Uint8Array {
  const label = utf8('receipt-salt');
  const input = new Uint8Array(label.length + storedSalt.length);
  input.set(label, 0);
  input.set(storedSalt, label.length);
  return hmacSha256(receiptPepper, input);
}
