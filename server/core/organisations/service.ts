import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { appendAudit } from '../audit/repository.js';
import type { ActorKind } from '../db/schema.js';
import { inviteCodeHash, newInviteCode, normaliseInviteCode } from './invite-code.js';
import { listEmployeesOfOutlet } from '../employees/repository.js';
import * as repo from './repository.js';

/** Who is administering: a signed-in admin, or the operator at the command line. */
export type AdminActor = { readonly kind: 'staff'; readonly id: string } | { readonly kind: 'cli' };

/** A named failure that forms and the CLI turn into a translated message. */
export class OrganisationError extends Error {
  constructor(readonly code: 'duplicate_name' | 'unknown_organisation' | 'unknown_outlet' | 'unknown_invite' | 'already_revoked') {
    super(code);
  }
}

function auditActor(actor: AdminActor): { actorKind: ActorKind; actorId: string | null } {
  return actor.kind === 'staff' ? { actorKind: 'staff', actorId: actor.id } : { actorKind: 'cli', actorId: null };
}

export async function createOrganisation(db: Kysely<DB>, actor: AdminActor, name: string) {
  return db.transaction().execute((trx) => createOrganisationIn(trx, actor, name));
}

/** createOrganisation inside a transaction the caller holds (a bulk import is one transaction). */
export async function createOrganisationIn(trx: Transaction<DB>, actor: AdminActor, name: string) {
  if (await repo.findOrganisationByName(trx, name)) throw new OrganisationError('duplicate_name');
  const org = await repo.insertOrganisation(trx, name);
  await appendAudit(trx, { ...auditActor(actor), event: 'org.created', subjectId: org.id });
  return org;
}

export async function createOutlet(db: Kysely<DB>, actor: AdminActor, outlet: repo.NewOutlet) {
  return db.transaction().execute((trx) => createOutletIn(trx, actor, outlet));
}

/** createOutlet inside a transaction the caller holds. */
export async function createOutletIn(trx: Transaction<DB>, actor: AdminActor, outlet: repo.NewOutlet) {
  if (!(await repo.findOrganisation(trx, outlet.organisationId))) throw new OrganisationError('unknown_organisation');
  const created = await repo.insertOutlet(trx, outlet);
  await appendAudit(trx, {
    ...auditActor(actor),
    event: 'outlet.created',
    subjectId: created.id,
    details: { organisationId: outlet.organisationId, province: outlet.province },
  });
  return created;
}

export type InviteRequest = { outletId: string; days: number; maxUses: number };
export type CreatedInvite = { id: string; code: string; expiresAt: Date; maxUses: number };

/**
 * Mints an invite code for an outlet. The code is returned once, to be shown or printed; only its
 * hash is stored, so nobody can read it back from the database later.
 */
export async function createInvite(db: Kysely<DB>, actor: AdminActor, request: InviteRequest, now = new Date()): Promise<CreatedInvite> {
  const code = newInviteCode();
  const expiresAt = new Date(now.getTime() + request.days * 24 * 3600 * 1000);
  const id = await db.transaction().execute(async (trx) => {
    if (!(await repo.findOutlet(trx, request.outletId))) throw new OrganisationError('unknown_outlet');
    const invite = await repo.insertInvite(trx, {
      outletId: request.outletId,
      codeHash: inviteCodeHash(normaliseInviteCode(code)!),
      expiresAt,
      maxUses: request.maxUses,
      createdBy: actor.kind === 'staff' ? actor.id : null,
    });
    await appendAudit(trx, {
      ...auditActor(actor),
      event: 'invite.created',
      subjectId: invite.id,
      details: { outletId: request.outletId, days: request.days, maxUses: request.maxUses },
    });
    return invite.id;
  });
  return { id, code, expiresAt, maxUses: request.maxUses };
}

/** Revokes by id (admin page) or by the code itself (CLI). Already-used slots stay used. */
export async function revokeInvite(db: Kysely<DB>, actor: AdminActor, target: { id: string } | { code: string }, now = new Date()) {
  return db.transaction().execute(async (trx) => {
    const invite = await findTarget(trx, target);
    if (!invite) throw new OrganisationError('unknown_invite');
    if (!(await repo.revokeInviteRow(trx, invite.id, now))) throw new OrganisationError('already_revoked');
    await appendAudit(trx, { ...auditActor(actor), event: 'invite.revoked', subjectId: invite.id, details: { outletId: invite.outlet_id } });
    return { id: invite.id, outletId: invite.outlet_id };
  });
}

async function findTarget(db: Parameters<typeof repo.findInvite>[0], target: { id: string } | { code: string }) {
  if ('id' in target) return repo.findInvite(db, target.id);
  const canonical = normaliseInviteCode(target.code);
  return canonical ? repo.findInviteByHash(db, inviteCodeHash(canonical)) : undefined;
}

export type InviteState = 'active' | 'expired' | 'exhausted' | 'revoked';

export function inviteState(invite: { revoked_at: Date | null; expires_at: Date; uses: number; max_uses: number }, now = new Date()): InviteState {
  if (invite.revoked_at) return 'revoked';
  if (invite.expires_at.getTime() <= now.getTime()) return 'expired';
  if (invite.uses >= invite.max_uses) return 'exhausted';
  return 'active';
}

/** The admin overview: organisations, and every outlet with its employee count. */
export async function organisationOverview(db: Kysely<DB>) {
  const [organisations, outlets] = await Promise.all([repo.listOrganisations(db), repo.listOutlets(db)]);
  return {
    organisations,
    outlets: outlets.map((o) => ({ ...o, employee_count: Number(o.employee_count ?? 0) })),
  };
}

/**
 * One outlet for the admin page: its invites with their state, and its employees as plain
 * metadata (status and dates). Names and phones are sealed and not needed to administer accounts.
 */
export async function outletPage(db: Kysely<DB>, outletId: string, now = new Date()) {
  const outlet = await repo.findOutlet(db, outletId);
  if (!outlet) return null;
  const invites = (await repo.listInvites(db, outletId)).map((i) => ({ ...i, state: inviteState(i, now) }));
  // Accounts are told apart by join order ("account 3"), not by anything personal.
  const employees = (await listEmployeesOfOutlet(db, outletId)).map((e, i) => ({ ...e, number: i + 1 }));
  return { outlet, invites, employees };
}
