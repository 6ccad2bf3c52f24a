import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';
import type { RetentionFacts } from './policy.js';

/** The newest referral activity of a case: a referral recorded or approved, or an update to one. */
function lastReferralAt(reportId: ReturnType<typeof sql.ref>) {
  return sql<Date | null>`(select greatest(max(f.referred_at), max(f.created_at), max(u.created_at))
    from referrals f left join referral_updates u on u.referral_id = f.id where f.report_id = ${reportId})`;
}

/**
 * Closed cases not yet shredded and not on hold, closed on or before `closedBefore` (the shortest
 * period before the run's date), with what the policy needs to decide. Oldest first.
 */
export async function listRetentionCandidates(db: Executor, closedBefore: Date) {
  return db
    .selectFrom('reports as r')
    .select(['r.id', 'r.case_number', 'r.status', 'r.outcome', 'r.closed_at', 'r.legal_hold_reason', 'r.shredded_at'])
    .select(lastReferralAt(sql.ref('r.id')).as('last_referral_at'))
    .where('r.status', '=', 'closed')
    .where('r.shredded_at', 'is', null)
    .where('r.legal_hold_reason', 'is', null)
    .where('r.closed_at', '<=', closedBefore)
    .orderBy('r.closed_at')
    .orderBy('r.id')
    .execute();
}

/** The retention facts of one case (the shredding transaction reads them after locking the row). */
export async function retentionFactsOf(db: Executor, reportId: string): Promise<(RetentionFacts & { caseNumber: string; holdReason: string | null; holdSetBy: string | null; holdSetAt: Date | null }) | null> {
  const row = await db
    .selectFrom('reports as r')
    .select(['r.case_number', 'r.status', 'r.outcome', 'r.closed_at', 'r.legal_hold_reason', 'r.legal_hold_set_by', 'r.legal_hold_set_at', 'r.shredded_at'])
    .select(lastReferralAt(sql.ref('r.id')).as('last_referral_at'))
    .where('r.id', '=', reportId)
    .executeTakeFirst();
  return row ? factsOf(row) : null;
}

type FactRow = {
  case_number: string;
  status: RetentionFacts['status'];
  outcome: RetentionFacts['outcome'];
  closed_at: Date | null;
  legal_hold_reason: string | null;
  legal_hold_set_by?: string | null;
  legal_hold_set_at?: Date | null;
  shredded_at: Date | null;
  last_referral_at: Date | null;
};

export function factsOf(row: FactRow) {
  return {
    caseNumber: row.case_number,
    status: row.status,
    outcome: row.outcome,
    closedAt: row.closed_at,
    legalHold: row.legal_hold_reason !== null,
    holdReason: row.legal_hold_reason,
    holdSetBy: row.legal_hold_set_by ?? null,
    holdSetAt: row.legal_hold_set_at ?? null,
    shreddedAt: row.shredded_at,
    lastReferralAt: row.last_referral_at,
  };
}

/** The ids of the reports linked to this one (either side of the pair). */
export async function linkedReportIds(db: Executor, reportId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('report_links')
    .select(['report_a', 'report_b'])
    .where((eb) => eb.or([eb('report_a', '=', reportId), eb('report_b', '=', reportId)]))
    .execute();
  return rows.map((r) => (r.report_a === reportId ? r.report_b : r.report_a));
}

/** Locks the given report rows in id order (as linking does), so two shredding runs never deadlock. */
export async function lockReports(db: Executor, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.selectFrom('reports').select('id').where('id', 'in', [...ids]).orderBy('id').forUpdate().execute();
}

/**
 * A shredded case by number, for the staff page that says so, but only to a reviewer who could have
 * opened it: a key holder when it was filed (intake sealed it to them) or someone who acted on it.
 * To anyone else it stays "not found", as any case they hold no key for, so numbers cannot be probed.
 */
export async function findShreddedCase(db: Executor, caseNumber: string, staffId: string) {
  return db
    .selectFrom('reports as r')
    .select(['r.id', 'r.case_number', 'r.shredded_at', 'r.closed_at', 'r.outcome'])
    .where('r.case_number', '=', caseNumber)
    .where('r.shredded_at', 'is not', null)
    .where((eb) =>
      eb.or([
        eb.exists(
          eb.selectFrom('staff as s').select('s.id').where('s.id', '=', staffId).where('s.role', '=', 'reviewer').where('s.key_holder_since', 'is not', null).whereRef('s.key_holder_since', '<=', 'r.created_at'),
        ),
        eb.exists(eb.selectFrom('audit_log as a').select('a.seq').whereRef('a.case_id', '=', 'r.id').where('a.actor_kind', '=', 'staff').where('a.actor_id', '=', staffId)),
      ]),
    )
    .executeTakeFirst();
}
