import type { StaffRole } from '../db/schema.js';
import type { ClientSource } from '../client-source.js';
import { appendAudit } from '../audit/repository.js';
import { createSession, destroySession, loadSession } from '../sessions/store.js';
import { claimTotpStep, findStaffById, findStaffByUsername, updateCredentials, type StaffRow } from './repository.js';
import { needsRewrap, newCredentials } from './credentials.js';
import { openTotpSecret, staffAccountName, staffCredentials, unlockStaff, type Unlocked } from './staff-keys.js';
import { reserveSignIn, STAFF_SIGN_IN } from './throttle.js';
import { issueDeviceToken, trustedDeviceId } from './devices.js';
import { tallySignInFailure } from './failures.js';
import { verifyTotp } from './totp.js';
import type { StaffDeps } from './service.js';

/** The signed-in staff member, with the private key unwrapped from the session for this request. */
export type StaffPrincipal = {
  readonly id: string;
  readonly username: string;
  readonly role: StaffRole;
  readonly isCustodian: boolean;
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
  /** When this sign-in began (the absolute limit counts from it); absent for principals built outside a session (CLI, seeding). */
  readonly sessionCreatedAt?: Date;
};

export type AuthFailure =
  | { readonly ok: false; readonly reason: 'invalid' }
  /** Every factor was right, but this code was already used in its 30-second step: wait for the next. */
  | { readonly ok: false; readonly reason: 'code_reused' }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfterSeconds: number };

/** On success, a fresh trusted-device token for the browser (./devices.ts) besides the session cookie. */
export type LoginResult = { readonly ok: true; readonly cookie: string; readonly staffId: string; readonly role: StaffRole; readonly deviceToken: string } | AuthFailure;

export type LoginInput = {
  readonly username: string;
  readonly password: string;
  readonly code: string;
  readonly source: ClientSource;
  /** The browser's trusted-device cookie, if it sent one. */
  readonly deviceToken: unknown;
};

type FailureReason = 'unknown_account' | 'inactive' | 'password' | 'totp' | 'totp_replay';

/**
 * Failures that only say "wrong credentials" are tallied and reach the audit log as one row per
 * account and hour (./failures.ts); the typed username of an account that does not exist is never
 * written (it may be a password). A right password with a wrong or replayed code means the
 * password is known to someone: that is written at once, as its own row.
 */
async function recordLoginFailure(deps: StaffDeps, row: StaffRow | undefined, reason: FailureReason, now: Date): Promise<AuthFailure> {
  if (reason === 'totp' || reason === 'totp_replay') {
    await deps.db.transaction().execute((trx) => appendAudit(trx, { actorKind: 'staff', actorId: row!.id, event: 'staff.login_failed', details: { reason } }));
  } else {
    await tallySignInFailure(deps.db, 'staff', row?.id ?? null, reason, now);
  }
  // Only a right password and a right code reach the replay check, so saying so tells the person
  // at the keyboard nothing they did not type, and tells them to wait for the next code.
  return { ok: false, reason: reason === 'totp_replay' ? 'code_reused' : 'invalid' };
}

function failureReason(row: StaffRow | undefined, unlocked: Unlocked | null): FailureReason {
  if (!row) return 'unknown_account';
  if (row.status !== 'active') return 'inactive';
  return unlocked ? 'totp' : 'password';
}

/** The sign-in reservation for a username typed on the sign-in or recovery form. */
export function reserveStaffAttempt(deps: StaffDeps, username: string, source: ClientSource, deviceToken: unknown, now: Date) {
  const account = staffAccountName(username);
  const deviceId = trustedDeviceId(deps.config.secrets, 'staff', account, deviceToken, now);
  return reserveSignIn(deps, STAFF_SIGN_IN, { account: `staff:${account}`, source, deviceId }, now);
}

export function staffDeviceToken(deps: StaffDeps, username: string, now: Date): string {
  return issueDeviceToken(deps.config.secrets, 'staff', staffAccountName(username), now);
}

/**
 * Sign-in with username, password and TOTP code. The attempt is reserved against the limits
 * before any argon2id work; every failure looks the same to the client (same message, same
 * argon2id work).
 */
export async function login(deps: StaffDeps, input: LoginInput, now = new Date()): Promise<LoginResult> {
  const reservation = await reserveStaffAttempt(deps, input.username, input.source, input.deviceToken, now);
  if (!reservation.allowed) return { ok: false, reason: 'throttled', retryAfterSeconds: reservation.retryAfterSeconds };
  const row = await findStaffByUsername(deps.db, input.username);
  const unlocked = await unlockStaff(deps.kdf, row, input.password);
  const secret = unlocked && row?.status === 'active' ? openTotpSecret(unlocked.row, unlocked.keys) : null;
  const step = secret ? verifyTotp(secret, input.code, now) : null;
  if (!unlocked || !row || row.status !== 'active' || step === null) return recordLoginFailure(deps, row, failureReason(row, unlocked), now);
  // Re-wrap under the configured argon2id cost if it changed since this key was last wrapped.
  const rewrapped = needsRewrap(deps.kdf, staffCredentials(row)!) ? await newCredentials(deps.kdf, input.password, unlocked.keys.privateKey) : null;
  const cookie = await deps.db.transaction().execute(async (trx) => {
    if (!(await claimTotpStep(trx, row.id, step))) return null;
    if (rewrapped) await updateCredentials(trx, row.id, rewrapped);
    await appendAudit(trx, { actorKind: 'staff', actorId: row.id, event: 'staff.login_succeeded' });
    return createSession(trx, 'staff', row.id, unlocked.keys.privateKey);
  });
  if (!cookie) return recordLoginFailure(deps, row, 'totp_replay', now);
  await reservation.release();
  return { ok: true, cookie, staffId: row.id, role: row.role, deviceToken: staffDeviceToken(deps, input.username, now) };
}

/** Signs out: the session row, and with it the re-wrapped private key, is deleted. */
export async function logout(deps: StaffDeps, cookie: unknown): Promise<void> {
  const session = await loadSession(deps.db, 'staff', cookie);
  if (!session) return;
  await deps.db.transaction().execute(async (trx) => {
    await destroySession(trx, cookie);
    if (!session.data.enrolStep) await appendAudit(trx, { actorKind: 'staff', actorId: session.principalId, event: 'staff.logout' });
  });
}

/**
 * The principal behind a staff cookie, or null. Checked on every request, so a deactivation on
 * one instance takes effect on all of them at once; half-finished enrolments are not sign-ins.
 */
export async function authenticateStaff(deps: Pick<StaffDeps, 'db'>, cookie: unknown): Promise<StaffPrincipal | null> {
  const session = await loadSession(deps.db, 'staff', cookie);
  if (!session?.privateKey || session.data.enrolStep) return null;
  const row = await findStaffById(deps.db, session.principalId);
  if (!row || row.status !== 'active' || !row.public_key) return null;
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    isCustodian: row.is_custodian,
    publicKey: new Uint8Array(row.public_key),
    privateKey: session.privateKey,
    sessionCreatedAt: session.createdAt,
  };
}
