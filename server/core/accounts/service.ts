import type { Kysely, Transaction } from 'kysely';
import type { DB, StaffRole } from '../db/schema.js';
import type { Config } from '../config.js';
import type { Kdf } from '../crypto/index.js';
import { hashToken, newToken } from '../crypto/index.js';
import { appendAudit } from '../audit/repository.js';
import { destroySessionsOf } from '../sessions/store.js';
import {
  countActiveAdmins,
  findStaffById,
  findStaffByUsername,
  insertPendingStaff,
  listStaff,
  lockStaffAdministration,
  lockStaffById,
  markDeactivated,
  replaceEnrolToken,
  staffSummaryOf,
  type StaffSummary,
} from './repository.js';

export type { StaffSummary } from './repository.js';

/** What the staff services need: no request, no response. */
export type StaffDeps = { readonly db: Kysely<DB>; readonly kdf: Kdf; readonly config: Config };

/** Who is acting: a signed-in admin, or an operator at the server's command line. */
export type Actor = { readonly kind: 'staff'; readonly id: string } | { readonly kind: 'cli' };

export const ENROL_LINK_HOURS = 72;

function auditActor(actor: Actor) {
  return actor.kind === 'staff' ? { actorKind: 'staff' as const, actorId: actor.id } : { actorKind: 'cli' as const };
}

/**
 * The enrolment link points at the staff app (STAFF_URL, or STAFF_HOST:STAFF_PORT), never at the
 * request's Host header, which a client controls and could point at a look-alike site.
 */
export function enrolmentUrl(config: Config, token: string): string {
  return new URL(`/staff/enrol/${token}`, config.staff.url).toString();
}

export type NewAccount = { username: string; role: StaffRole; isCustodian: boolean };
export type EnrolLink = { readonly id: string; readonly url: string; readonly expiresAt: Date };

/** Creates a pending account and returns its one-time enrolment link; only the token's hash is stored. */
export async function createStaffAccount(deps: StaffDeps, account: NewAccount, actor: Actor, now = new Date()): Promise<EnrolLink | 'taken'> {
  const token = newToken();
  const expiresAt = new Date(now.getTime() + ENROL_LINK_HOURS * 3600_000);
  const id = await deps.db.transaction().execute(async (trx) => {
    if (await findStaffByUsername(trx, account.username)) return null;
    // Whoever runs the CLI already holds the server, so their reviewers need no custodian's approval.
    const approvedByCli = actor.kind === 'cli' && account.role === 'reviewer' ? now : null;
    const id = await insertPendingStaff(trx, { ...account, tokenHash: hashToken(token), expiresAt, approvedByCli });
    await appendAudit(trx, {
      ...auditActor(actor),
      event: 'staff.created',
      subjectId: id,
      details: { role: account.role, custodian: account.isCustodian },
    });
    if (approvedByCli) await appendAudit(trx, { actorKind: 'cli', event: 'keyholder.approved', subjectId: id, details: { source: 'cli' } });
    return id;
  }).catch((err: unknown) => {
    // Two admins creating the same name at once: the unique index decides.
    if ((err as { code?: string }).code === '23505') return null;
    throw err;
  });
  return id ? { id, url: enrolmentUrl(deps.config, token), expiresAt } : 'taken';
}

/** A fresh link for an account that has not finished enrolling (lost or expired link). */
export async function reissueEnrolmentLink(deps: StaffDeps, staffId: string, actor: Actor, now = new Date()): Promise<EnrolLink | null> {
  const token = newToken();
  const expiresAt = new Date(now.getTime() + ENROL_LINK_HOURS * 3600_000);
  const done = await deps.db.transaction().execute(async (trx) => {
    if (!(await replaceEnrolToken(trx, staffId, hashToken(token), expiresAt))) return false;
    // A half-finished enrolment may still hold a session; the new link starts from scratch.
    await destroySessionsOf(trx, 'staff', staffId);
    await appendAudit(trx, { ...auditActor(actor), event: 'staff.enrol_link_issued', subjectId: staffId });
    return true;
  });
  return done ? { id: staffId, url: enrolmentUrl(deps.config, token), expiresAt } : null;
}

export type DeactivateOutcome = 'deactivated' | 'already' | 'notFound' | 'self' | 'lastAdmin' | 'forbidden';

/**
 * Deactivation takes effect at once on every instance: the account stops passing the guard, and
 * all its sessions (with their re-wrapped private keys) are deleted in the same transaction.
 * In the web UI an admin cannot remove themselves or the last active admin, so nobody locks the
 * portal by mistake; an operator at the command line can, e.g. when the last admin is compromised.
 */
export async function deactivateStaff(deps: StaffDeps, staffId: string, actor: Actor, now = new Date()): Promise<DeactivateOutcome> {
  return deps.db.transaction().execute(async (trx) => {
    await lockStaffAdministration(trx);
    // Re-checked under the lock: an admin deactivated a moment ago cannot finish a request begun before.
    if (actor.kind === 'staff' && !(await isActiveAdmin(trx, actor.id))) return 'forbidden';
    const row = await lockStaffById(trx, staffId);
    if (!row) return 'notFound';
    if (row.status === 'deactivated') return 'already';
    if (actor.kind === 'staff' && actor.id === staffId) return 'self';
    if (actor.kind === 'staff' && row.role === 'admin' && row.status === 'active' && (await countActiveAdmins(trx)) <= 1) return 'lastAdmin';
    await markDeactivated(trx, staffId, now);
    const sessionsEnded = await destroySessionsOf(trx, 'staff', staffId);
    await appendAudit(trx, {
      ...auditActor(actor),
      event: 'staff.deactivated',
      subjectId: staffId,
      details: { previousStatus: row.status, sessionsEnded },
    });
    return 'deactivated';
  });
}

async function isActiveAdmin(trx: Transaction<DB>, staffId: string): Promise<boolean> {
  const row = await findStaffById(trx, staffId);
  return row?.role === 'admin' && row.status === 'active';
}

export async function findStaffIdByUsername(deps: StaffDeps, username: string): Promise<string | null> {
  return (await findStaffByUsername(deps.db, username))?.id ?? null;
}

export async function listStaffAccounts(deps: StaffDeps): Promise<StaffSummary[]> {
  return listStaff(deps.db);
}

export async function getStaffSummary(deps: StaffDeps, staffId: string): Promise<StaffSummary | null> {
  const row = await findStaffById(deps.db, staffId);
  return row ? staffSummaryOf(row) : null;
}
