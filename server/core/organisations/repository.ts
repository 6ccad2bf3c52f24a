import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';

export async function insertOrganisation(db: Executor, name: string) {
  return db.insertInto('organisations').values({ name }).returning(['id', 'name', 'created_at']).executeTakeFirstOrThrow();
}

/** Names are unique case-insensitively (organisations_name_idx on lower(name)). */
export async function findOrganisationByName(db: Executor, name: string) {
  return db
    .selectFrom('organisations')
    .select(['id', 'name'])
    .where(sql<string>`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
}

export async function findOrganisation(db: Executor, id: string) {
  return db.selectFrom('organisations').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
}

export async function listOrganisations(db: Executor) {
  return db.selectFrom('organisations').select(['id', 'name', 'created_at']).orderBy('name').execute();
}

export type NewOutlet = { organisationId: string; name: string; province: string; city: string };

export async function insertOutlet(db: Executor, outlet: NewOutlet) {
  return db
    .insertInto('outlets')
    .values({ organisation_id: outlet.organisationId, name: outlet.name, province: outlet.province, city: outlet.city })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
}

const outletColumns = [
  'outlets.id',
  'outlets.name',
  'outlets.province',
  'outlets.city',
  'outlets.created_at',
  'outlets.organisation_id',
  'organisations.name as organisation_name',
] as const;

export async function findOutlet(db: Executor, id: string) {
  return db
    .selectFrom('outlets')
    .innerJoin('organisations', 'organisations.id', 'outlets.organisation_id')
    .select(outletColumns)
    .where('outlets.id', '=', id)
    .executeTakeFirst();
}

export async function listOutlets(db: Executor) {
  return db
    .selectFrom('outlets')
    .innerJoin('organisations', 'organisations.id', 'outlets.organisation_id')
    .select(outletColumns)
    .select((eb) =>
      eb.selectFrom('employees').select(eb.fn.countAll<number>().as('n')).whereRef('employees.outlet_id', '=', 'outlets.id').as('employee_count'),
    )
    .orderBy('organisations.name')
    .orderBy('outlets.province')
    .orderBy('outlets.city')
    .orderBy('outlets.name')
    .execute();
}

export type NewInvite = { outletId: string; codeHash: Uint8Array; expiresAt: Date; maxUses: number; createdBy: string | null };

export async function insertInvite(db: Executor, invite: NewInvite) {
  return db
    .insertInto('invites')
    .values({
      outlet_id: invite.outletId,
      code_hash: invite.codeHash,
      expires_at: invite.expiresAt,
      max_uses: invite.maxUses,
      created_by: invite.createdBy,
    })
    .returning(['id'])
    .executeTakeFirstOrThrow();
}

export async function listInvites(db: Executor, outletId: string) {
  return db
    .selectFrom('invites')
    .select(['id', 'expires_at', 'max_uses', 'uses', 'revoked_at', 'created_at'])
    .where('outlet_id', '=', outletId)
    .orderBy('created_at', 'desc')
    .execute();
}

export async function findInviteByHash(db: Executor, codeHash: Uint8Array) {
  return db
    .selectFrom('invites')
    .select(['id', 'outlet_id', 'expires_at', 'max_uses', 'uses', 'revoked_at'])
    .where('code_hash', '=', codeHash)
    .executeTakeFirst();
}

export async function findInvite(db: Executor, id: string) {
  return db.selectFrom('invites').select(['id', 'outlet_id', 'revoked_at']).where('id', '=', id).executeTakeFirst();
}

/** Marks an invite revoked; returns false when it was already revoked (or does not exist). */
export async function revokeInviteRow(db: Executor, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('invites')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Uses one slot of a live invite in a single statement: the row lock taken by the UPDATE makes
 * concurrent joins queue, and the `uses < max_uses` guard is re-checked after the wait, so an
 * invite can never be used more than max_uses times. Returns the outlet, or undefined when the
 * code is unknown, expired, exhausted or revoked.
 */
export async function claimInvite(db: Executor, codeHash: Uint8Array, now: Date) {
  return db
    .updateTable('invites')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('code_hash', '=', codeHash)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where(sql<boolean>`uses < max_uses`)
    .returning(['id', 'outlet_id'])
    .executeTakeFirst();
}
