import {
  formatRecoveryKey,
  fromBase64,
  generateBoxKeyPair,
  hashToken,
  newRecoveryKey,
  openSealedKey,
  sealKeyTo,
  toBase64,
  wrapKey,
  type BoxKeyPair,
} from '../crypto/index.js';
import { appendAudit } from '../audit/repository.js';
import { createSession, destroySession, loadSession, updateSessionData } from '../sessions/store.js';
import type { StaffRole } from '../db/schema.js';
import { activateStaff, findPendingByEnrolToken, findStaffById, storeEnrolmentKeys, type StaffRow } from './repository.js';
import { newCredentials } from './credentials.js';
import { openTotpSecret } from './staff-keys.js';
import { newTotpSecret, totpQrSvg, totpSecretText, totpUri, verifyTotp } from './totp.js';
import type { StaffDeps } from './service.js';
import { recordAlertEvent } from '../alerts/events.js';

/**
 * Enrolment, in three steps that share one short staff session holding the new private key
 * (wrapped under the cookie's secret, like any staff session), so nothing is derived twice:
 *   1. the link: choose a password → key pair, password KEK, recovery copy, TOTP secret;
 *   2. the recovery key, shown until the person confirms they stored it;
 *   3. TOTP: scan, type a code → the account becomes active.
 * The recovery key and the TOTP secret wait sealed to the new public key, so a database thief
 * cannot read them from a half-finished enrolment.
 */

export type EnrolStep = 'recovery' | 'totp';
type EnrolData = { enrolStep: EnrolStep; recoverySealed?: string };

export type EnrolmentInvite = { readonly id: string; readonly username: string; readonly role: StaffRole; readonly isCustodian: boolean };

export async function findEnrolmentInvite(deps: StaffDeps, token: string, now = new Date()): Promise<EnrolmentInvite | null> {
  const row = await findPendingByEnrolToken(deps.db, hashToken(token), now);
  return row ? { id: row.id, username: row.username, role: row.role, isCustodian: row.is_custodian } : null;
}

/** Step 1. Returns the enrolment session cookie, or null when the link is unknown, used or expired. */
export async function chooseEnrolmentPassword(deps: StaffDeps, token: string, password: string, now = new Date()): Promise<string | null> {
  const tokenHash = hashToken(token);
  const row = await findPendingByEnrolToken(deps.db, tokenHash, now);
  if (!row) return null;
  const keys = generateBoxKeyPair();
  const recoveryKey = newRecoveryKey();
  const totpSecret = newTotpSecret();
  // argon2id runs before the transaction so no database connection waits on it.
  const credentials = await newCredentials(deps.kdf, password, keys.privateKey);
  const data: EnrolData = { enrolStep: 'recovery', recoverySealed: toBase64(sealKeyTo(recoveryKey, keys.publicKey)) };
  return deps.db.transaction().execute(async (trx) => {
    const stored = await storeEnrolmentKeys(trx, row.id, tokenHash, now, {
      ...credentials,
      publicKey: keys.publicKey,
      recoveryWrappedPrivateKey: wrapKey(keys.privateKey, recoveryKey),
      totpSecretSealed: sealKeyTo(totpSecret, keys.publicKey),
    });
    if (!stored) return null; // the same link was used a moment ago
    await appendAudit(trx, { actorKind: 'staff', actorId: row.id, event: 'staff.enrolment_started', subjectId: row.id });
    return createSession(trx, 'staff', row.id, keys.privateKey, data);
  });
}

export type EnrolmentState = {
  readonly row: StaffRow;
  readonly keys: BoxKeyPair;
  readonly step: EnrolStep;
  readonly data: EnrolData;
  readonly idHash: Uint8Array;
};

/** The enrolment in progress for this cookie, or null (none, expired, or already finished). */
export async function loadEnrolment(deps: StaffDeps, cookie: unknown): Promise<EnrolmentState | null> {
  const session = await loadSession(deps.db, 'staff', cookie);
  const data = session?.data as Partial<EnrolData> | undefined;
  if (!session?.privateKey || (data?.enrolStep !== 'recovery' && data?.enrolStep !== 'totp')) return null;
  const row = await findStaffById(deps.db, session.principalId);
  if (!row || row.status !== 'pending' || !row.public_key) return null;
  const keys = { publicKey: new Uint8Array(row.public_key), privateKey: session.privateKey };
  return { row, keys, step: data.enrolStep, data: data as EnrolData, idHash: session.idHash };
}

/** Step 2: the recovery key as the person must write it down. */
export function revealRecoveryKey(state: EnrolmentState): string | null {
  if (state.step !== 'recovery' || !state.data.recoverySealed) return null;
  const key = openSealedKey(fromBase64(state.data.recoverySealed), state.keys);
  try {
    return formatRecoveryKey(key);
  } finally {
    key.fill(0);
  }
}

/** The sealed recovery key is dropped from the session: after this it exists only where they stored it. */
export async function confirmRecoveryKeyStored(deps: StaffDeps, state: EnrolmentState): Promise<void> {
  await updateSessionData(deps.db, state.idHash, { enrolStep: 'totp' } satisfies EnrolData);
}

export type TotpProvisioning = { readonly secretText: string; readonly qrSvg: string };

/** Step 3: what the authenticator app needs, as a QR code and as text. */
export async function totpProvisioning(state: EnrolmentState, qrLabel: string): Promise<TotpProvisioning | null> {
  const secret = openTotpSecret(state.row, state.keys);
  if (!secret) return null;
  return { secretText: totpSecretText(secret), qrSvg: await totpQrSvg(totpUri(secret, state.row.username), qrLabel) };
}

/**
 * Step 3, confirmed: a correct code activates the account. The enrolment session is replaced by
 * an ordinary one with a fresh id. Returns the new cookie, or null for a wrong code.
 */
export async function confirmTotpEnrolment(deps: StaffDeps, state: EnrolmentState, cookie: unknown, code: string, now = new Date()): Promise<string | null> {
  const secret = openTotpSecret(state.row, state.keys);
  const step = secret ? verifyTotp(secret, code, now) : null;
  if (step === null) return null;
  return deps.db.transaction().execute(async (trx) => {
    if (!(await activateStaff(trx, state.row.id, step))) return null;
    await appendAudit(trx, {
      actorKind: 'staff',
      actorId: state.row.id,
      event: 'staff.enrolled',
      subjectId: state.row.id,
      details: { role: state.row.role, custodian: state.row.is_custodian },
    });
    // A key holder the command line did not approve waits for a custodian's fingerprint check.
    if (!state.row.key_approval) await recordAlertEvent(trx, { type: 'keyholder.awaiting_approval', staffId: state.row.id });
    await destroySession(trx, cookie);
    return createSession(trx, 'staff', state.row.id, state.keys.privateKey);
  });
}
