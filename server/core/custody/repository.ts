import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';
import { keyHolders } from '../accounts/key-holders.js';

/** Identity-access requests. Reasons are sealed under KN (purpose 'request'); nothing here is plaintext text. */
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
    .orderBy('q.id')
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
    .orderBy('q.id')
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

// ---------------------------------------------------------------- custody hand-over

/** Reports whose identity key `fromId` holds and `toId` does not, oldest id first. */
export async function reportsToHandOver(db: Executor, fromId: string, toId: string, limit: number): Promise<string[]> {
  const rows = await handOverQuery(db, fromId, toId).select('g.report_id').orderBy('g.report_id').limit(limit).execute();
  return rows.map((r) => r.report_id);
}

export async function countReportsToHandOver(db: Executor, fromId: string, toId: string): Promise<number> {
  const row = await handOverQuery(db, fromId, toId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function handOverQuery(db: Executor, fromId: string, toId: string) {
  return db
    .selectFrom('report_key_grants as g')
    .where('g.key_kind', '=', 'identity')
    .where('g.recipient_kind', '=', 'staff')
    .where('g.recipient_id', '=', fromId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('report_key_grants as t')
            .select('t.id')
            .whereRef('t.report_id', '=', 'g.report_id')
            .where('t.key_kind', '=', 'identity')
            .where('t.recipient_kind', '=', 'staff')
            .where('t.recipient_id', '=', toId),
        ),
      ),
    );
}

/** Employee identity-key grants `fromId` holds for accounts `toId` has none for. */
export async function employeeGrantsToHandOver(db: Executor, fromId: string, toId: string) {
  const rows = await employeeHandOverQuery(db, fromId, toId).select(['g.employee_id', 'g.sealed_key']).execute();
  return rows.map((r) => ({ employeeId: r.employee_id, sealedKey: new Uint8Array(r.sealed_key) }));
}

export async function countEmployeeGrantsToHandOver(db: Executor, fromId: string, toId: string): Promise<number> {
  const row = await employeeHandOverQuery(db, fromId, toId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function employeeHandOverQuery(db: Executor, fromId: string, toId: string) {
  return db
    .selectFrom('employee_key_grants as g')
    .where('g.recipient_kind', '=', 'staff')
    .where('g.recipient_id', '=', fromId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('employee_key_grants as t')
            .select('t.id')
            .whereRef('t.employee_id', '=', 'g.employee_id')
            .where('t.recipient_kind', '=', 'staff')
            .where('t.recipient_id', '=', toId),
        ),
      ),
    );
}

export async function insertEmployeeGrant(trx: Executor, employeeId: string, staffId: string, sealedKey: Uint8Array): Promise<void> {
  await trx
    .insertInto('employee_key_grants')
    .values({ employee_id: employeeId, recipient_kind: 'staff', recipient_id: staffId, sealed_key: sealedKey })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Custodians among the approved key holders, other than `exceptId`, for the hand-over form. */
export async function listOtherCustodians(db: Executor, exceptId: string) {
  const rows = await keyHolders(db)
    .select(['id', 'username', 'public_key'])
    .where('is_custodian', '=', true)
    .where('id', '<>', exceptId)
    .orderBy('username')
    .execute();
  return rows.map((r) => ({ id: r.id, username: r.username, publicKey: new Uint8Array(r.public_key!) }));
}
