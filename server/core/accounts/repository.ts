import { sql, type Selectable, type Transaction } from 'kysely';
import type { DB, StaffRole, StaffStatus, StaffTable } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import type { Credentials } from './credentials.js';
export type StaffRow = Selectable<StaffTable>;

/** Usernames are unique regardless of case (the unique index is on lower(username)). */
export async function findStaffByUsername(db: Executor, username: string): Promise<StaffRow | undefined> {
  return db
    .selectFrom('staff')
    .selectAll()
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
}

export async function findStaffById(db: Executor, id: string): Promise<StaffRow | undefined> {
  return db.selectFrom('staff').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Locks the row until the caller's transaction ends (deactivation, activation). */
export async function lockStaffById(trx: Transaction<DB>, id: string): Promise<StaffRow | undefined> {
  return trx.selectFrom('staff').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function findPendingByEnrolToken(db: Executor, tokenHash: Uint8Array, now: Date): Promise<StaffRow | undefined> {
  return db
    .selectFrom('staff')
    .selectAll()
    .where('enrol_token_hash', '=', tokenHash)
    .where('status', '=', 'pending')
    .where('enrol_expires_at', '>', now)
    .executeTakeFirst();
}

/** `approvedByCli`: the operator created the account at the server, which counts as key approval. */
export type NewStaff = { username: string; role: StaffRole; isCustodian: boolean; tokenHash: Uint8Array; expiresAt: Date; approvedByCli: Date | null };

export async function insertPendingStaff(db: Executor, staff: NewStaff): Promise<string> {
  const row = await db
    .insertInto('staff')
    .values({
      username: staff.username,
      role: staff.role,
      is_custodian: staff.isCustodian,
      status: 'pending',
      enrol_token_hash: staff.tokenHash,
      enrol_expires_at: staff.expiresAt,
      key_approval: staff.approvedByCli ? 'cli' : null,
      key_approved_at: staff.approvedByCli,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A new link for a pending account; the old one stops working. */
export async function replaceEnrolToken(db: Executor, id: string, tokenHash: Uint8Array, expiresAt: Date): Promise<boolean> {
  const result = await db
    .updateTable('staff')
    .set({ enrol_token_hash: tokenHash, enrol_expires_at: expiresAt, updated_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

function credentialColumns(c: Credentials) {
  return {
    password_hash: c.passwordHash,
    kek_salt: c.kekSalt,
    kek_cost: c.kekCost,
    wrapped_private_key: c.wrappedPrivateKey,
    updated_at: new Date(),
  };
}

export type EnrolmentKeys = Credentials & {
  publicKey: Uint8Array;
  recoveryWrappedPrivateKey: Uint8Array;
  totpSecretSealed: Uint8Array;
};

/**
 * Stores the keys chosen at enrolment and consumes the link in the same statement: the WHERE
 * clause re-checks the token, so two tabs racing on one link cannot both enrol.
 */
export async function storeEnrolmentKeys(db: Executor, id: string, tokenHash: Uint8Array, now: Date, keys: EnrolmentKeys): Promise<boolean> {
  const result = await db
    .updateTable('staff')
    .set({
      ...credentialColumns(keys),
      public_key: keys.publicKey,
      recovery_wrapped_private_key: keys.recoveryWrappedPrivateKey,
      totp_secret_sealed: keys.totpSecretSealed,
      totp_last_step: null,
      enrol_token_hash: null,
      enrol_expires_at: null,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('enrol_token_hash', '=', tokenHash)
    .where('enrol_expires_at', '>', now)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Activates an enrolled account; one approved in advance (by the CLI) becomes a key holder now. */
export async function activateStaff(db: Executor, id: string, totpStep: number): Promise<boolean> {
  const now = new Date();
  const result = await db
    .updateTable('staff')
    .set((eb) => ({
      status: 'active',
      totp_last_step: totpStep,
      updated_at: now,
      key_holder_since: eb.case().when('key_approved_at', 'is not', null).then(sql<Date>`${now}::timestamptz`).else(null).end(),
    }))
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('public_key', 'is not', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Records that a TOTP step was used, only if it is later than the last one. One atomic statement,
 * so the same code sent to two app instances at once is accepted by at most one.
 */
export async function claimTotpStep(db: Executor, id: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('staff')
    .set({ totp_last_step: step })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function updateCredentials(db: Executor, id: string, credentials: Credentials): Promise<void> {
  await db.updateTable('staff').set(credentialColumns(credentials)).where('id', '=', id).execute();
}

export async function updateCredentialsAndRecovery(db: Executor, id: string, credentials: Credentials, recoveryWrapped: Uint8Array): Promise<void> {
  await db
    .updateTable('staff')
    .set({ ...credentialColumns(credentials), recovery_wrapped_private_key: recoveryWrapped })
    .where('id', '=', id)
    .execute();
}

export async function markDeactivated(db: Executor, id: string, now: Date): Promise<void> {
  await db
    .updateTable('staff')
    .set({ status: 'deactivated', deactivated_at: now, updated_at: now, enrol_token_hash: null, enrol_expires_at: null })
    .where('id', '=', id)
    .execute();
}

// Any fixed 64-bit number: names the lock that serialises account deactivations.
const STAFF_ADMINISTRATION_LOCK = 0x7067_7374_6166_66n;

/**
 * Serialises deactivations until the caller's transaction ends, so two admins deactivating each
 * other at the same moment cannot both succeed and leave nobody to administer the portal.
 */
export async function lockStaffAdministration(trx: Transaction<DB>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${STAFF_ADMINISTRATION_LOCK.toString()}::bigint)`.execute(trx);
}

export async function countActiveAdmins(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('staff')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export type StaffListRow = Pick<StaffRow, 'id' | 'username' | 'role' | 'is_custodian' | 'status' | 'created_at' | 'enrol_expires_at' | 'deactivated_at' | 'key_approved_at'>;

export async function listStaff(db: Executor): Promise<StaffSummary[]> {
  const rows = await db
    .selectFrom('staff')
    .select(['id', 'username', 'role', 'is_custodian', 'status', 'created_at', 'enrol_expires_at', 'deactivated_at', 'key_approved_at'])
    .orderBy(sql`case status when 'active' then 0 when 'pending' then 1 else 2 end`)
    .orderBy(sql`lower(username)`)
    .execute();
  return rows.map(staffSummaryOf);
}

export type StaffSummary = {
  readonly id: string;
  readonly username: string;
  readonly role: StaffRole;
  readonly isCustodian: boolean;
  readonly status: StaffStatus;
  readonly createdAt: Date;
  readonly enrolExpiresAt: Date | null;
  readonly deactivatedAt: Date | null;
  /** An enrolled reviewer who receives no keys until a custodian approves them. */
  readonly awaitingKeyApproval: boolean;
};

/** The row as the account list shows it. */
export function staffSummaryOf(r: StaffListRow): StaffSummary {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    isCustodian: r.is_custodian,
    status: r.status,
    createdAt: r.created_at,
    enrolExpiresAt: r.enrol_expires_at,
    deactivatedAt: r.deactivated_at,
    awaitingKeyApproval: r.role === 'reviewer' && r.status === 'active' && !r.key_approved_at,
  };
}
