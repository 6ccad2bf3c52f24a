import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';

/** Identity-access requests. Reasons are sealed under KN (purpose 'request'); nothing here is plaintext text. */
export type Executor = Kysely<DB> | Transaction<DB>;

const bytes = (value: Uint8Array | null): Uint8Array | null => (value ? new Uint8Array(value) : null);

export async function insertIdentityRequest(trx: Executor, row: { id: string; reportId: string; requesterId: string; reasonSealed: Uint8Array }): Promise<void> {
  await trx
    .insertInto('identity_requests')
    .values({ id: row.id, report_id: row.reportId, requester_id: row.requesterId, reason_sealed: row.reasonSealed })
    .execute();
}

export async function hasPendingRequest(db: Executor, reportId: string, requesterId: string): Promise<boolean> {
  const row = await db
    .selectFrom('identity_requests')
    .select('id')
    .where('report_id', '=', reportId)
    .where('requester_id', '=', requesterId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row !== undefined;
}

const REQUEST_COLUMNS = [
  'q.id', 'q.report_id', 'q.requester_id', 'q.status', 'q.reason_sealed', 'q.decision_reason_sealed', 'q.created_at', 'q.decided_at', 'q.decided_by',
] as const;

/** Every request about one report, oldest first, with who asked and who decided. */
export async function listRequestsForReport(db: Executor, reportId: string) {
  const rows = await db
    .selectFrom('identity_requests as q')
    .innerJoin('staff as requester', 'requester.id', 'q.requester_id')
    .leftJoin('staff as decider', 'decider.id', 'q.decided_by')
    .select([...REQUEST_COLUMNS, 'requester.username as requester_name', 'decider.username as decider_name'])
    .where('q.report_id', '=', reportId)
    .orderBy('q.created_at')
    .execute();
  return rows.map((r) => ({ ...r, reason_sealed: bytes(r.reason_sealed)!, decision_reason_sealed: bytes(r.decision_reason_sealed) }));
}

export type RequestRow = Awaited<ReturnType<typeof listRequestsForReport>>[number];

/**
 * Pending requests this custodian can decide: those about reports whose identity key KI they hold.
 * A custodian without KI could not re-seal it, so such requests are not theirs to see.
 */
export async function listPendingForCustodian(db: Executor, custodianId: string) {
  const rows = await db
    .selectFrom('identity_requests as q')
    .innerJoin('reports as r', 'r.id', 'q.report_id')
    .innerJoin('staff as requester', 'requester.id', 'q.requester_id')
    .select([...REQUEST_COLUMNS, 'r.case_number', 'requester.username as requester_name'])
    .where('q.status', '=', 'pending')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('report_key_grants as g')
          .select(sql.lit(1).as('one'))
          .whereRef('g.report_id', '=', 'q.report_id')
          .where('g.key_kind', '=', 'identity')
          .where('g.recipient_kind', '=', 'staff')
          .where('g.recipient_id', '=', custodianId),
      ),
    )
    .orderBy('q.created_at')
    .limit(200)
    .execute();
  return rows.map((r) => ({ ...r, reason_sealed: bytes(r.reason_sealed)! }));
}

export async function findRequestForUpdate(trx: Executor, requestId: string) {
  return trx
    .selectFrom('identity_requests as q')
    .innerJoin('reports as r', 'r.id', 'q.report_id')
    .select(['q.id', 'q.report_id', 'q.requester_id', 'q.status', 'r.case_number'])
    .where('q.id', '=', requestId)
    .forUpdate()
    .executeTakeFirst();
}

export async function recordDecision(
  trx: Executor,
  requestId: string,
  decision: { status: 'approved' | 'denied'; decidedBy: string; reasonSealed: Uint8Array },
): Promise<void> {
  await trx
    .updateTable('identity_requests')
    .set({ status: decision.status, decided_by: decision.decidedBy, decision_reason_sealed: decision.reasonSealed, decided_at: new Date() })
    .where('id', '=', requestId)
    .execute();
}

export async function findIdentitySealed(db: Executor, reportId: string): Promise<Uint8Array | null> {
  const row = await db.selectFrom('reports').select('identity_sealed').where('id', '=', reportId).executeTakeFirst();
  return bytes(row?.identity_sealed ?? null);
}
