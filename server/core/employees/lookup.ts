import type { Kysely } from 'kysely';
import type { AppContext } from '../context.js';
import type { DB } from '../db/schema.js';
import { employeeLoginSalt, employeeThrottleKey, hmacSha256, toHex, utf8 } from '../crypto/index.js';
import { readInstallation } from '../installation/repository.js';
import { findEmployeeByLogin, hardenLookup, legacyLookupVersions, listVersion1Lookups, type EmployeeAccount } from './repository.js';

/**
 * How an employee account is found from the phone number typed at sign-in (docs/crypto.md §4.5).
 *
 * Version 2 (every account made or signed in since 2026-11-24): employees.login_lookup =
 * argon2id(normalised phone, salt = the installation's secret lookup salt, at the installation's
 * fixed cost). Each phone number tried costs one argon2id, so naming every employee from a stolen
 * database and secrets file means ~7·10⁹ argon2id derivations instead of minutes of HMAC.
 *
 * Version 1 (accounts made before): HMAC-SHA-256(blind-index key, "employee-login:" + phone). A
 * migration cannot compute version 2 without the phone, so a version-1 row is found by this
 * fallback and replaced by its version 2 at that employee's next successful sign-in.
 *
 * Version 3 (`employee:harden-lookups`): argon2id("v1:" + hex(version-1 HMAC)), same salt and cost
 * as version 2. Computable from the stored HMAC without the phone, it makes the remaining version-1
 * rows cost one argon2id per guess too; sign-in replaces it by version 2 the same way.
 */
export function legacyLoginLookup(blindIndexKey: Uint8Array, normalisedPhone: string): Uint8Array {
  return hmacSha256(blindIndexKey, utf8(`employee-login:${normalisedPhone}`));
}

/** The version-2 lookup: one argon2id derivation. Call it only after the attempt was reserved. */
export async function loginLookup(ctx: AppContext, normalisedPhone: string): Promise<Uint8Array> {
  const installation = await readInstallation(ctx.database.db, ctx.config.secrets.receiptPepper);
  return ctx.kdf.deriveEmployeeLoginLookup(normalisedPhone, employeeLoginSalt(ctx.config.secrets), installation.receiptKdfCost);
}

export type FoundAccount = {
  readonly account: EmployeeAccount | undefined;
  /** The version-2 lookup of the typed phone, to store if the account still has a version-1 one. */
  readonly lookup: Uint8Array;
  /** True when the account was found by its version-1 lookup. */
  readonly legacy: boolean;
};

/** What the lookups need: the app context, or the command line's equivalent. */
type LookupDeps = Pick<AppContext, 'config' | 'kdf'> & { readonly database: { readonly db: Kysely<DB> } };

/** Version 3 from a version-1 lookup: one argon2id, at the installation's fixed cost. */
async function hardenedLookup(ctx: LookupDeps, version1: Uint8Array): Promise<Uint8Array> {
  const installation = await readInstallation(ctx.database.db, ctx.config.secrets.receiptPepper);
  return ctx.kdf.deriveEmployeeLoginLookup(`v1:${toHex(version1)}`, employeeLoginSalt(ctx.config.secrets), installation.receiptKdfCost);
}

/**
 * The account for a phone number (or none), by its version-2 lookup, else by a legacy one (version 1,
 * then 3) while any account still has one. Each version 3 tried costs a second argon2id.
 */
export async function findAccountByPhone(ctx: AppContext, normalisedPhone: string): Promise<FoundAccount> {
  const { db } = ctx.database;
  const lookup = await loginLookup(ctx, normalisedPhone);
  const account = await findEmployeeByLogin(db, lookup, 2);
  const legacy = account ? new Set() : await legacyLookupVersions(db);
  if (account || legacy.size === 0) return { account, lookup, legacy: false };
  const version1 = legacyLoginLookup(ctx.config.secrets.blindIndexKey, normalisedPhone);
  let old = legacy.has(1) ? await findEmployeeByLogin(db, version1, 1) : undefined;
  if (!old && legacy.has(3)) old = await findEmployeeByLogin(db, await hardenedLookup(ctx, version1), 3);
  return { account: old, lookup, legacy: old !== undefined };
}

/**
 * Replaces every version-1 lookup by its version 3 (one argon2id each, 100 rows a page); returns how
 * many. Safe to run while the service runs, and again: rows sign-in upgraded meanwhile are skipped.
 */
export async function hardenLegacyLookups(ctx: LookupDeps): Promise<number> {
  let done = 0;
  for (;;) {
    const page = await listVersion1Lookups(ctx.database.db, 100);
    if (page.length === 0) return done;
    for (const row of page) {
      const from = new Uint8Array(row.login_lookup);
      await hardenLookup(ctx.database.db, row.id, from, await hardenedLookup(ctx, from));
      done++;
    }
  }
}

/** Bits of the throttle's account bucket: 2^20 buckets, so ~7,000 possible mobile numbers share each. */
const ACCOUNT_BUCKET_HEX_DIGITS = 5;

/**
 * The subject the sign-in limits count an employee account under: "employee-phone:" + the first
 * 20 bits of HMAC(throttle key, phone). Counted before argon2id runs, it cannot be the argon2id
 * lookup; a full keyed hash of the phone in rate_limits would let whoever holds the secrets file
 * name, by cheap HMAC guessing, every phone number tried recently. Cut to 20 bits, each bucket is
 * shared by thousands of possible numbers and names none, while one account's budget is still
 * its own in practice (two employees share a bucket by chance, and only notice under attack).
 */
export function employeeAccountSubject(ctx: AppContext, normalisedPhone: string): string {
  const digest = toHex(hmacSha256(employeeThrottleKey(ctx.config.secrets), utf8(normalisedPhone)));
  return `employee-phone:${digest.slice(0, ACCOUNT_BUCKET_HEX_DIGITS)}`;
}
