import type { AppContext } from '../context.js';
import type { ClientSource } from '../client-source.js';
import { normalisePhone } from '../crypto/index.js';
import { appendAudit } from '../audit/repository.js';
import { createSession, destroySessionsOf } from '../sessions/store.js';
import { limitsOf, takeAll } from '../rate-limit.js';
import { needsRewrap, newCredentials, unlockPrivateKey, verifyCurrentPassword } from '../accounts/credentials.js';
import { EMPLOYEE_PASSWORD_CHANGE, EMPLOYEE_SIGN_IN, reserveSignIn } from '../accounts/throttle.js';
import { issueDeviceToken, trustedDeviceId } from '../accounts/devices.js';
import { tallySignInFailure } from '../accounts/failures.js';
import { employeeAccountSubject, findAccountByPhone } from './lookup.js';
import { findEmployeeAccount, updateCredentials, upgradeLoginLookup } from './repository.js';
import { EmployeeError } from './errors.js';
import { adoptPendingTips } from './legacy-tips.js';

export type EmployeeLoginInput = {
  readonly phone: string;
  readonly password: string;
  readonly source: ClientSource;
  /** The browser's trusted-device cookie, if it sent one. */
  readonly deviceToken: unknown;
};

export type EmployeeSignedIn = { readonly employeeId: string; readonly cookie: string; readonly deviceToken: string };

/**
 * Signs an employee in. The attempt is reserved against the sign-in limits (accounts/throttle.ts)
 * before any argon2id work, atomically, so parallel guesses cannot overshoot them; then one
 * argon2id finds the account (./lookup.ts) and two check the password and unwrap the key, the
 * same two whether or not the account exists. Every failure is the same 'invalid_login'.
 */
export async function loginEmployee(ctx: AppContext, input: EmployeeLoginInput, now = new Date()): Promise<EmployeeSignedIn> {
  const phone = normalisePhone(input.phone);
  if (phone === null) throw new EmployeeError('invalid_login');
  const deviceId = trustedDeviceId(ctx.config.secrets, 'employee', phone, input.deviceToken, now);
  const attempt = { account: employeeAccountSubject(ctx, phone), source: input.source, deviceId };
  const reservation = await reserveSignIn(limitsOf(ctx), EMPLOYEE_SIGN_IN, attempt, now);
  if (!reservation.allowed) throw new EmployeeError('throttled', reservation.retryAfterSeconds);

  const { account, lookup, legacy } = await findAccountByPhone(ctx, phone);
  const privateKey = await unlockPrivateKey(ctx.kdf, account?.credentials ?? null, input.password);
  if (!account || !privateKey || !account.active) {
    privateKey?.fill(0);
    await tallySignInFailure(ctx.database.db, 'employee', account?.id ?? null, !account ? 'unknown_account' : account.active ? 'password' : 'inactive', now);
    throw new EmployeeError('invalid_login');
  }
  // Re-wrap under the configured argon2id cost if it changed since; argon2id before the transaction.
  const rewrapped = needsRewrap(ctx.kdf, account.credentials) ? await newCredentials(ctx.kdf, input.password, privateKey) : null;
  const cookie = await ctx.database.db.transaction().execute(async (trx) => {
    if (legacy) await upgradeLoginLookup(trx, account.id, lookup);
    if (rewrapped) await updateCredentials(trx, account.id, rewrapped);
    await adoptPendingTips(trx, account.id, { publicKey: account.publicKey, privateKey });
    await appendAudit(trx, { actorKind: 'employee', actorId: account.id, event: 'employee.login_succeeded' });
    return createSession(trx, 'employee', account.id, privateKey);
  });
  privateKey.fill(0);
  await reservation.release();
  return { employeeId: account.id, cookie, deviceToken: issueDeviceToken(ctx.config.secrets, 'employee', phone, now) };
}

/**
 * Changes the password: checks the current one (reserved first against the account's own
 * password-change budget, which only its sessions can reach), re-wraps the private key held by
 * this session under a KEK from the new password, ends every session of the account and opens a
 * fresh one, so a thief holding an old session cookie is signed out too.
 */
export async function changeEmployeePassword(
  ctx: AppContext,
  employee: { id: string; privateKey: Uint8Array },
  input: { currentPassword: string; newPassword: string },
  now = new Date(),
): Promise<string> {
  const { db } = ctx.database;
  const reservation = await takeAll(limitsOf(ctx), [[EMPLOYEE_PASSWORD_CHANGE, `employee-id:${employee.id}`]], now);
  if (!reservation.allowed) throw new EmployeeError('throttled', reservation.retryAfterSeconds);
  const account = await findEmployeeAccount(db, employee.id);
  if (!(await verifyCurrentPassword(ctx.kdf, account?.credentials ?? null, input.currentPassword))) throw new EmployeeError('wrong_password');
  const credentials = await newCredentials(ctx.kdf, input.newPassword, employee.privateKey);
  const cookie = await db.transaction().execute(async (trx) => {
    await updateCredentials(trx, employee.id, credentials);
    await destroySessionsOf(trx, 'employee', employee.id);
    await appendAudit(trx, { actorKind: 'employee', actorId: employee.id, event: 'employee.password_changed' });
    return createSession(trx, 'employee', employee.id, employee.privateKey);
  });
  await reservation.release();
  return cookie;
}
