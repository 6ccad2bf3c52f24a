import type { AppContext } from '../context.js';
import { employeeLoginSalt, employeeThrottleKey, hmacSha256, toHex, utf8 } from '../crypto/index.js';
import { readInstallation } from '../installation/repository.js';
import { findEmployeeByLogin, hasLegacyLookups, type EmployeeAccount } from './repository.js';

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
 * fallback and replaced by its version 2 at that employee's next successful sign-in; until then
 * it stays as guessable as before. Operators can count what is left (docs/operations.md).
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

/** The account for a phone number (or none), by its version-2 lookup, else its version-1 one. */
export async function findAccountByPhone(ctx: AppContext, normalisedPhone: string): Promise<FoundAccount> {
  const { db } = ctx.database;
  const lookup = await loginLookup(ctx, normalisedPhone);
  const account = await findEmployeeByLogin(db, lookup, 2);
  if (account || !(await hasLegacyLookups(db))) return { account, lookup, legacy: false };
  const old = await findEmployeeByLogin(db, legacyLoginLookup(ctx.config.secrets.blindIndexKey, normalisedPhone), 1);
  return { account: old, lookup, legacy: old !== undefined };
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
