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

export type LookupVersion = 1 | 2 | 3;

/** The account whose stored lookup is `loginLookup` of the given version (schema.ts says which is which). */
export async function findEmployeeByLogin(db: Executor, loginLookup: Uint8Array, version: LookupVersion): Promise<EmployeeAccount | undefined> {
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

/** Which legacy lookup versions (1, 3) some account still has; none left means no fallback to try. */
export async function legacyLookupVersions(db: Executor): Promise<Set<LookupVersion>> {
  const rows = await db.selectFrom('employees').select('login_lookup_version').distinct().where('login_lookup_version', '<>', 2).execute();
  return new Set(rows.map((r) => r.login_lookup_version));
}

/** Replaces a legacy lookup by the version-2 one, at a successful sign-in (the phone is at hand then). */
export async function upgradeLoginLookup(db: Executor, id: string, loginLookup: Uint8Array): Promise<void> {
  await db
    .updateTable('employees')
    .set({ login_lookup: loginLookup, login_lookup_version: 2 })
    .where('id', '=', id)
    .where('login_lookup_version', '<>', 2)
    .execute();
}

/** Version-1 lookups, a page at a time, for `employee:harden-lookups`. */
export async function listVersion1Lookups(db: Executor, limit: number) {
  return db.selectFrom('employees').select(['id', 'login_lookup']).where('login_lookup_version', '=', 1).orderBy('id').limit(limit).execute();
}

/** Replaces one version-1 lookup by its version 3, unless sign-in replaced it meanwhile. */
export async function hardenLookup(db: Executor, id: string, from: Uint8Array, hardened: Uint8Array): Promise<void> {
  await db
    .updateTable('employees')
    .set({ login_lookup: hardened, login_lookup_version: 3 })
    .where('id', '=', id)
    .where('login_lookup_version', '=', 1)
    .where('login_lookup', '=', from)
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
 * Employee tips carrying one of `tags` (tags only the employee's tip secret yields). Unread counts
 * what reviewers and the system wrote that the reporter has not seen; no sealed column is read.
 */
export async function listTipsByTags(db: Executor, tags: readonly Uint8Array[]) {
  if (tags.length === 0) return [];
  return db
    .selectFrom('reports')
    .select(['id', 'case_number', 'status', 'outcome', 'categories', 'attachment_count', 'consent_level', 'created_at', 'updated_at'])
    .select(['employee_tip_tag', 'reporter_public_key', 'shredded_at'])
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
    .where('channel', '=', 'employee')
    .where('employee_tip_tag', 'in', [...tags])
    .execute();
}

/** An employee-channel tip by case number; whose it is, the caller checks with the tip secret. */
export async function findEmployeeTip(db: Executor, caseNumber: string) {
  return db
    .selectFrom('reports')
    .select(['id', 'case_number', 'status', 'outcome', 'categories', 'consent_level', 'identity_present', 'created_at', 'payload_sealed'])
    .select(['employee_tip_tag', 'reporter_public_key', 'reward_eligible', 'reward_note_sealed', 'protection_requested_at'])
    .where('case_number', '=', caseNumber)
    .where('channel', '=', 'employee')
    .where('employee_tip_tag', 'is not', null)
    .executeTakeFirst();
}

/** The sealed list of tips filed before tags existed (migration 1400), or null once adopted. */
export async function findPendingTips(db: Executor, employeeId: string): Promise<Uint8Array | null> {
  const row = await db.selectFrom('employees').select('pending_tips_sealed').where('id', '=', employeeId).executeTakeFirst();
  return row?.pending_tips_sealed ? new Uint8Array(row.pending_tips_sealed) : null;
}

export async function clearPendingTips(db: Executor, employeeId: string): Promise<void> {
  await db.updateTable('employees').set({ pending_tips_sealed: null }).where('id', '=', employeeId).execute();
}

/** A pre-tag tip's reporter grants (K, and KI if any), to re-seal to the tip's own key. */
export async function findUntaggedTipGrants(db: Executor, reportId: string) {
  return db
    .selectFrom('report_key_grants')
    .innerJoin('reports', 'reports.id', 'report_key_grants.report_id')
    .select(['report_key_grants.id', 'report_key_grants.sealed_key'])
    .where('reports.id', '=', reportId)
    .where('reports.channel', '=', 'employee')
    .where('reports.employee_tip_tag', 'is', null)
    .where('report_key_grants.recipient_kind', '=', 'reporter')
    .execute();
}

export async function tagTip(db: Executor, reportId: string, tag: Uint8Array, publicKey: Uint8Array, grants: readonly { id: string; sealedKey: Uint8Array }[]): Promise<void> {
  for (const g of grants) await db.updateTable('report_key_grants').set({ sealed_key: g.sealedKey }).where('id', '=', g.id).execute();
  await db.updateTable('reports').set({ employee_tip_tag: tag, reporter_public_key: publicKey }).where('id', '=', reportId).execute();
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
