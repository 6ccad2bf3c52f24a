import { CryptoError, formatRecoveryKey, newRecoveryKey, unwrapKey, wrapKey } from '../crypto/index.js';
import { appendAudit } from '../audit/repository.js';
import { createSession, destroySessionsOf } from '../sessions/store.js';
import { claimTotpStep, findStaffById, findStaffByUsername, updateCredentials, updateCredentialsAndRecovery, type StaffRow } from './repository.js';
import { newCredentials, verifyCurrentPassword } from './credentials.js';
import { keysOf, openTotpSecret, staffCredentials } from './staff-keys.js';
import { STAFF_PASSWORD_CHANGE } from './throttle.js';
import { takeAll } from '../rate-limit.js';
import type { ClientSource } from '../client-source.js';
import { verifyTotp } from './totp.js';
import type { StaffDeps } from './service.js';
import { reserveStaffAttempt, staffDeviceToken, type AuthFailure, type StaffPrincipal } from './auth.js';

/**
 * Password change and recovery. The key pair never changes — every grant sealed to the public key
 * stays valid — only its wrapping does: a fresh salt, a fresh KEK, a fresh verifier.
 */

export type PasswordChangeInput = { readonly currentPassword: string; readonly newPassword: string; readonly code: string };
export type PasswordChangeResult = { readonly ok: true; readonly cookie: string } | AuthFailure;

/**
 * Needs the current password and a TOTP code even inside a session, so a borrowed or stolen
 * session cannot take the account over. Counted against the account's own password-change budget
 * before argon2id runs: only its sessions can reach this, so strangers' failed sign-ins never
 * block it. Every session of the account ends, including this one; the caller gets a new session
 * (and cookie) in exchange.
 */
export async function changePassword(deps: StaffDeps, principal: StaffPrincipal, input: PasswordChangeInput, now = new Date()): Promise<PasswordChangeResult> {
  const reservation = await takeAll(deps, [[STAFF_PASSWORD_CHANGE, `staff-id:${principal.id}`]], now);
  if (!reservation.allowed) return { ok: false, reason: 'throttled', retryAfterSeconds: reservation.retryAfterSeconds };
  const row = await findStaffById(deps.db, principal.id);
  if (!row || !(await verifyCurrentPassword(deps.kdf, staffCredentials(row), input.currentPassword))) return { ok: false, reason: 'invalid' };
  const secret = openTotpSecret(row, principal);
  const step = secret ? verifyTotp(secret, input.code, now) : null;
  if (step === null) return { ok: false, reason: 'invalid' };
  const credentials = await newCredentials(deps.kdf, input.newPassword, principal.privateKey);
  const cookie = await deps.db.transaction().execute(async (trx) => {
    if (!(await claimTotpStep(trx, row.id, step))) return null;
    await updateCredentials(trx, row.id, credentials);
    const sessionsEnded = await destroySessionsOf(trx, 'staff', row.id);
    await appendAudit(trx, { actorKind: 'staff', actorId: row.id, event: 'staff.password_changed', subjectId: row.id, details: { sessionsEnded } });
    return createSession(trx, 'staff', row.id, principal.privateKey);
  });
  if (!cookie) return { ok: false, reason: 'code_reused' };
  await reservation.release();
  return { ok: true, cookie };
}

export type RecoveryInput = {
  readonly username: string;
  readonly recoveryKey: Uint8Array;
  readonly newPassword: string;
  readonly code: string;
  readonly source: ClientSource;
  /** The browser's trusted-device cookie, if it sent one. */
  readonly deviceToken: unknown;
};
/** On success, the NEW recovery key as text (shown once, never stored) and a trusted-device token. */
export type RecoveryResult = { readonly ok: true; readonly recoveryKey: string; readonly deviceToken: string } | AuthFailure;

function unwrapWithRecoveryKey(row: StaffRow | undefined, recoveryKey: Uint8Array): Uint8Array | null {
  if (!row || row.status !== 'active' || !row.recovery_wrapped_private_key) return null;
  try {
    return unwrapKey(new Uint8Array(row.recovery_wrapped_private_key), recoveryKey);
  } catch (err) {
    if (err instanceof CryptoError) return null;
    throw err;
  }
}

/**
 * Forgotten password: the recovery key unwraps the second copy of the private key, a TOTP code
 * proves the phone is still theirs, then the key is wrapped under the new password and a new
 * recovery key (the old one is spent). Every session of the account ends.
 * Deactivated accounts cannot recover. Guessing here is guessing the account's credentials, so it
 * draws on the same sign-in limits as the sign-in form.
 */
export async function recoverAccount(deps: StaffDeps, input: RecoveryInput, now = new Date()): Promise<RecoveryResult> {
  const reservation = await reserveStaffAttempt(deps, input.username, input.source, input.deviceToken, now);
  if (!reservation.allowed) return { ok: false, reason: 'throttled', retryAfterSeconds: reservation.retryAfterSeconds };
  const row = await findStaffByUsername(deps.db, input.username);
  const privateKey = unwrapWithRecoveryKey(row, input.recoveryKey);
  const keys = row && privateKey ? keysOf(row, privateKey) : null;
  // Opening the TOTP secret also proves the unwrapped key belongs to this account's public key.
  const secret = row && keys ? openTotpSecret(row, keys) : null;
  const step = secret ? verifyTotp(secret, input.code, now) : null;
  if (!row || !keys || step === null) return { ok: false, reason: 'invalid' };
  const nextRecoveryKey = newRecoveryKey();
  const credentials = await newCredentials(deps.kdf, input.newPassword, keys.privateKey);
  const done = await deps.db.transaction().execute(async (trx) => {
    if (!(await claimTotpStep(trx, row.id, step))) return false;
    await updateCredentialsAndRecovery(trx, row.id, credentials, wrapKey(keys.privateKey, nextRecoveryKey));
    const sessionsEnded = await destroySessionsOf(trx, 'staff', row.id);
    await appendAudit(trx, { actorKind: 'staff', actorId: row.id, event: 'staff.recovered', subjectId: row.id, details: { sessionsEnded } });
    return true;
  });
  if (!done) return { ok: false, reason: 'invalid' };
  await reservation.release();
  try {
    return { ok: true, recoveryKey: formatRecoveryKey(nextRecoveryKey), deviceToken: staffDeviceToken(deps, input.username, now) };
  } finally {
    nextRecoveryKey.fill(0);
  }
}
