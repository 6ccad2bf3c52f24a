import type { Executor } from '../db/executor.js';
import type { Credentials, StoredCredentials } from '../accounts/credentials.js';
import { keyHolders } from '../accounts/key-holders.js';

export type NewEmployee = Credentials & {
  id: string;
  outletId: string;
  /** Always an argon2id lookup (version 2): new rows are never written with the old HMAC. */
  loginLookup: Uint8Array;
  publicKey: Uint8Array;
  identitySealed: Uint8Array;
};

export async function insertEmployee(db: Executor, e: NewEmployee): Promise<void> {
  await db
    .insertInto('employees')
    .values({
      id: e.id,
      outlet_id: e.outletId,
      login_lookup: e.loginLookup,
      login_lookup_version: 2,
      password_hash: e.passwordHash,
      kek_salt: e.kekSalt,
      kek_cost: e.kekCost,
      public_key: e.publicKey,
      wrapped_private_key: e.wrappedPrivateKey,
      identity_sealed: e.identitySealed,
    })
    .execute();
}

export type IdentityGrant = { recipientKind: 'staff' | 'escrow' | 'employee'; recipientId: string | null; sealedKey: Uint8Array };

export async function insertIdentityGrants(db: Executor, employeeId: string, grants: readonly IdentityGrant[]): Promise<void> {
  if (grants.length === 0) return;
  await db
    .insertInto('employee_key_grants')
    .values(grants.map((g) => ({ employee_id: employeeId, recipient_kind: g.recipientKind, recipient_id: g.recipientId, sealed_key: g.sealedKey })))
    .execute();
}

const credentialColumns = ['id', 'outlet_id', 'status', 'password_hash', 'kek_salt', 'kek_cost', 'public_key', 'wrapped_private_key'] as const;

export type EmployeeAccount = {
  readonly id: string;
  readonly outletId: string;
  readonly active: boolean;
  readonly publicKey: Uint8Array;
  readonly credentials: StoredCredentials;
};

type CredentialRow = {
  id: string;
  outlet_id: string;
  status: 'active' | 'deactivated';
  password_hash: string;
  kek_salt: Uint8Array;
  kek_cost: string | null;
  public_key: Uint8Array;
  wrapped_private_key: Uint8Array;
};

function toAccount(row: CredentialRow | undefined): EmployeeAccount | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    outletId: row.outlet_id,
    active: row.status === 'active',
    publicKey: new Uint8Array(row.public_key),
    credentials: {
      passwordHash: row.password_hash,
      kekSalt: new Uint8Array(row.kek_salt),
      kekCost: row.kek_cost,
      wrappedPrivateKey: new Uint8Array(row.wrapped_private_key),
    },
  };
}

/** The account whose stored lookup is `loginLookup` of the given version (1: HMAC, 2: argon2id). */
export async function findEmployeeByLogin(db: Executor, loginLookup: Uint8Array, version: 1 | 2): Promise<EmployeeAccount | undefined> {
  const row = await db
    .selectFrom('employees')
    .select(credentialColumns)
    .where('login_lookup', '=', loginLookup)
    .where('login_lookup_version', '=', version)
    .executeTakeFirst();
  return toAccount(row);
}

export async function findEmployeeAccount(db: Executor, id: string): Promise<EmployeeAccount | undefined> {
  return toAccount(await db.selectFrom('employees').select(credentialColumns).where('id', '=', id).executeTakeFirst());
}

/** Whether any account still has a version-1 (HMAC) lookup; none left means no fallback to try. */
export async function hasLegacyLookups(db: Executor): Promise<boolean> {
  const row = await db.selectFrom('employees').select('id').where('login_lookup_version', '=', 1).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Replaces a version-1 lookup by the argon2id one, at a successful sign-in (the phone is at hand then). */
export async function upgradeLoginLookup(db: Executor, id: string, loginLookup: Uint8Array): Promise<void> {
  await db
    .updateTable('employees')
    .set({ login_lookup: loginLookup, login_lookup_version: 2 })
    .where('id', '=', id)
    .where('login_lookup_version', '=', 1)
    .execute();
}

export async function updateCredentials(db: Executor, id: string, c: Credentials): Promise<void> {
  await db
    .updateTable('employees')
    .set({ password_hash: c.passwordHash, kek_salt: c.kekSalt, kek_cost: c.kekCost, wrapped_private_key: c.wrappedPrivateKey })
    .where('id', '=', id)
    .execute();
}

/** Returns false when the account was not active (already deactivated or unknown). */
export async function markDeactivated(db: Executor, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('employees')
    .set({ status: 'deactivated', deactivated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Plain metadata only: the admin list must never need (or show) a sealed name or phone. */
export async function listEmployeesOfOutlet(db: Executor, outletId: string) {
  return db
    .selectFrom('employees')
    .select(['id', 'status', 'created_at', 'deactivated_at'])
    .where('outlet_id', '=', outletId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function findEmployeeSummary(db: Executor, id: string) {
  return db.selectFrom('employees').select(['id', 'outlet_id', 'status', 'created_at', 'deactivated_at']).where('id', '=', id).executeTakeFirst();
}

/**
 * The public keys the employee identity key is sealed to besides the employee: custodians among
 * the approved key holders only. Reviewers who are not custodians must not be able to open an
 * employee's identity.
 */
export async function activeCustodianKeys(db: Executor) {
  const rows = await keyHolders(db).select(['id', 'public_key']).where('is_custodian', '=', true).execute();
  return rows.map((r) => ({ id: r.id, publicKey: new Uint8Array(r.public_key!) }));
}

export async function findOutletForIdentity(db: Executor, outletId: string) {
  return db
    .selectFrom('outlets')
    .innerJoin('organisations', 'organisations.id', 'outlets.organisation_id')
    .select(['outlets.id', 'outlets.name', 'outlets.province', 'outlets.city', 'organisations.name as organisation_name'])
    .where('outlets.id', '=', outletId)
    .executeTakeFirst();
}

/**
 * The employee's own tips: only reports whose employee_id is this account. Unread counts what
 * reviewers and the system wrote that the reporter has not seen; no sealed column is read.
 */
export async function listTipsOfEmployee(db: Executor, employeeId: string) {
  return db
    .selectFrom('reports')
    .select(['id', 'case_number', 'status', 'outcome', 'categories', 'attachment_count', 'consent_level', 'created_at', 'updated_at'])
    .select((eb) => [
      eb
        .selectFrom('messages')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('messages.report_id', '=', 'reports.id')
        .where('messages.author_kind', '=', 'staff')
        .as('replies'),
      eb
        .selectFrom('messages')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('messages.report_id', '=', 'reports.id')
        .where('messages.author_kind', '<>', 'reporter')
        .where('messages.read_by_reporter_at', 'is', null)
        .as('unread'),
    ])
    .where('employee_id', '=', employeeId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** One tip, only if it is this employee's: someone else's case number finds nothing. */
export async function findTipOfEmployee(db: Executor, employeeId: string, caseNumber: string) {
  return db
    .selectFrom('reports')
    .select(['id', 'case_number', 'status', 'outcome', 'categories', 'consent_level', 'identity_present', 'created_at', 'payload_sealed'])
    .where('case_number', '=', caseNumber)
    .where('employee_id', '=', employeeId)
    .executeTakeFirst();
}

/** The employee's own sealed identity and the grant of its key sealed to the employee. */
export async function findOwnIdentity(db: Executor, employeeId: string) {
  return db
    .selectFrom('employees')
    .innerJoin('employee_key_grants', 'employee_key_grants.employee_id', 'employees.id')
    .select(['employees.identity_sealed', 'employee_key_grants.sealed_key'])
    .where('employees.id', '=', employeeId)
    .where('employee_key_grants.recipient_kind', '=', 'employee')
    .executeTakeFirst();
}
