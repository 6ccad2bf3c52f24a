import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';
import type { ReferralOutcome } from '../db/schema.js';

/** Reward claims, protection requests, referral outcomes and organisation credits (migration 1900). */

export type CodeClaim = { readonly salt: Uint8Array; readonly commitment: Uint8Array; readonly createdAt: Date };
export type RewardClaims = { readonly code: CodeClaim | null; readonly identity: { readonly sealed: Uint8Array; readonly createdAt: Date } | null };

/** Stores the commitment to a new claim code; a code made earlier for the same case stops counting. */
export async function replaceCodeClaim(db: Executor, reportId: string, salt: Uint8Array, commitment: Uint8Array): Promise<void> {
  await db
    .insertInto('reward_claims')
    .values({ report_id: reportId, kind: 'code', salt, commitment })
    .onConflict((oc) => oc.columns(['report_id', 'kind']).doUpdateSet({ salt, commitment, created_at: sql`now()` }))
    .execute();
}

export async function replaceIdentityClaim(db: Executor, reportId: string, identitySealed: Uint8Array): Promise<void> {
  await db
    .insertInto('reward_claims')
    .values({ report_id: reportId, kind: 'identity', identity_sealed: identitySealed })
    .onConflict((oc) => oc.columns(['report_id', 'kind']).doUpdateSet({ identity_sealed: identitySealed, created_at: sql`now()` }))
    .execute();
}

export async function findRewardClaims(db: Executor, reportId: string): Promise<RewardClaims> {
  const rows = await db.selectFrom('reward_claims').select(['kind', 'salt', 'commitment', 'identity_sealed', 'created_at']).where('report_id', '=', reportId).execute();
  const code = rows.find((r) => r.kind === 'code');
  const identity = rows.find((r) => r.kind === 'identity');
  return {
    code: code?.salt && code.commitment ? { salt: new Uint8Array(code.salt), commitment: new Uint8Array(code.commitment), createdAt: code.created_at } : null,
    identity: identity?.identity_sealed ? { sealed: new Uint8Array(identity.identity_sealed), createdAt: identity.created_at } : null,
  };
}

/**
 * The reporter asked for protection: highest severity, and the case's clocks brought forward to
 * `due` (the triage target for immediate danger) unless they were sooner already.
 */
export async function markProtectionRequested(db: Executor, reportId: string, now: Date, due: Date): Promise<void> {
  await db
    .updateTable('reports')
    .set({
      severity: 'critical',
      protection_requested_at: sql`coalesce(protection_requested_at, ${now})`,
      triage_due_at: sql`least(triage_due_at, ${due})`,
      feedback_due_at: sql`least(feedback_due_at, ${due})`,
      updated_at: now,
    })
    .where('id', '=', reportId)
    .execute();
}

export async function setReferralOutcome(
  db: Executor,
  referralId: string,
  outcome: { outcome: ReferralOutcome; on: string; referenceSealed: Uint8Array; recordedBy: string; now: Date },
): Promise<void> {
  await db
    .updateTable('referrals')
    .set({
      outcome: outcome.outcome,
      outcome_on: outcome.on,
      outcome_reference_sealed: outcome.referenceSealed,
      outcome_recorded_by: outcome.recordedBy,
      outcome_recorded_at: outcome.now,
    })
    .where('id', '=', referralId)
    .execute();
}

export async function findReferralOutcomes(db: Executor, reportId: string) {
  const rows = await db
    .selectFrom('referrals as f')
    .leftJoin('staff as s', 's.id', 'f.outcome_recorded_by')
    .select(['f.id', 'f.outcome', 'f.outcome_reference_sealed', 'f.outcome_recorded_at', 's.username'])
    // The day as text: drivers differ in how they hand back a `date` (pg: a local Date, PGlite: UTC).
    .select(sql<string>`to_char(f.outcome_on, 'YYYY-MM-DD')`.as('outcome_on'))
    .where('f.report_id', '=', reportId)
    .where('f.outcome', 'is not', null)
    .execute();
  return rows.map((r) => ({
    referralId: r.id,
    outcome: r.outcome!,
    on: r.outcome_on,
    referenceSealed: r.outcome_reference_sealed ? new Uint8Array(r.outcome_reference_sealed) : null,
    recordedAt: r.outcome_recorded_at,
    recordedBy: r.username,
  }));
}

export async function insertCredit(db: Executor, row: { reportId: string; organisationId: string; outletId: string | null; creditedBy: string }): Promise<boolean> {
  const inserted = await db
    .insertInto('case_credits')
    .values({ report_id: row.reportId, organisation_id: row.organisationId, outlet_id: row.outletId, credited_by: row.creditedBy })
    .onConflict((oc) => oc.columns(['report_id', 'organisation_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function deleteCredit(db: Executor, reportId: string, creditId: string): Promise<boolean> {
  const result = await db.deleteFrom('case_credits').where('report_id', '=', reportId).where('id', '=', creditId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function listCredits(db: Executor, reportId: string) {
  const rows = await db
    .selectFrom('case_credits as c')
    .innerJoin('organisations as o', 'o.id', 'c.organisation_id')
    .leftJoin('outlets as u', 'u.id', 'c.outlet_id')
    .innerJoin('staff as s', 's.id', 'c.credited_by')
    .select(['c.id', 'c.organisation_id', 'o.name as organisation', 'u.name as outlet', 's.username', 'c.created_at'])
    .where('c.report_id', '=', reportId)
    .orderBy('c.created_at')
    .execute();
  return rows.map((r) => ({ id: r.id, organisationId: r.organisation_id, organisation: r.organisation, outlet: r.outlet, by: r.username, at: r.created_at }));
}

/** Companies and their outlets, for the credit form. */
export async function listCreditableOrganisations(db: Executor) {
  const rows = await db
    .selectFrom('organisations as o')
    .leftJoin('outlets as u', 'u.organisation_id', 'o.id')
    .select(['o.id as organisationId', 'o.name as organisation', 'u.id as outletId', 'u.name as outlet'])
    .orderBy('o.name')
    .orderBy('u.name')
    .execute();
  return rows;
}

export async function findOutletOrganisation(db: Executor, outletId: string): Promise<string | null> {
  const row = await db.selectFrom('outlets').select('organisation_id').where('id', '=', outletId).executeTakeFirst();
  return row?.organisation_id ?? null;
}

export async function organisationExists(db: Executor, id: string): Promise<boolean> {
  return (await db.selectFrom('organisations').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}
