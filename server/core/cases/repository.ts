import { sql, type SqlBool, type Updateable } from 'kysely';
import type { KeyKind, ReportsTable } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import { holdsKeyGrant } from './grant-query.js';
import { keyHolders } from '../accounts/key-holders.js';

/** Case-work queries: the case page, triage updates, grants held by staff, links and notes. */
const bytes = (value: Uint8Array): Uint8Array => new Uint8Array(value);

const CASE_COLUMNS = [
  'id', 'case_number', 'channel', 'status', 'outcome', 'severity', 'categories', 'province', 'immediate_danger',
  'assignee_id', 'labels', 'attachment_count', 'identity_present', 'consent_level', 'reward_eligible', 'link_count',
  'referral_status', 'duplicate_of', 'payload_sealed', 'identity_sealed', 'reward_note_sealed', 'created_at', 'updated_at',
  'acknowledged_at', 'triage_due_at', 'feedback_due_at', 'last_reporter_activity_at', 'closed_at', 'protection_requested_at',
  'first_feedback_at', 'last_feedback_at', 'referral_pending_since',
] as const;

/** A case by its number. `forUpdate` locks the row so that checks and changes in one transaction cannot race. */
export async function findCaseByNumber(db: Executor, caseNumber: string, forUpdate = false) {
  let query = db.selectFrom('reports').select([...CASE_COLUMNS]).where('case_number', '=', caseNumber);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export type CaseRow = NonNullable<Awaited<ReturnType<typeof findCaseByNumber>>>;

/**
 * Locks several report rows, always in id order: two transactions that each touch the same two
 * cases (linking A to B while B is linked to A) then queue up instead of deadlocking.
 */
export async function lockCases(trx: Executor, ids: readonly string[]): Promise<void> {
  await trx.selectFrom('reports').select('id').where('id', 'in', [...ids]).orderBy('id').forUpdate().execute();
}

export async function updateCase(trx: Executor, reportId: string, change: Updateable<ReportsTable>): Promise<void> {
  await trx.updateTable('reports').set({ ...change, updated_at: new Date() }).where('id', '=', reportId).execute();
}

/** Keeps the time a reviewer first wrote to the reporter (statistics: time to first feedback). */
export async function markFirstFeedback(trx: Executor, reportId: string, at: Date): Promise<void> {
  await trx.updateTable('reports').set({ first_feedback_at: at }).where('id', '=', reportId).where('first_feedback_at', 'is', null).execute();
}

/** Does this staff member hold a grant of this key of this report? (Existence only; opening needs their key.) */
export async function holdsGrant(db: Executor, reportId: string, kind: KeyKind, staffId: string): Promise<boolean> {
  const row = await db.selectNoFrom(holdsKeyGrant(sql.val(reportId), kind, staffId).as('held')).executeTakeFirstOrThrow();
  return Boolean(row.held);
}

/** Staff members holding the report key K, with which other keys they hold: the case's team. */
export async function listCaseHolders(db: Executor, reportId: string) {
  const rows = await db
    .selectFrom('report_key_grants as g')
    .innerJoin('staff as s', 's.id', 'g.recipient_id')
    .select(['s.id', 's.username', 's.is_custodian', 's.status', 'g.key_kind'])
    .where('g.report_id', '=', reportId)
    .where('g.recipient_kind', '=', 'staff')
    .orderBy('s.username')
    .execute();
  const holders = new Map<string, { id: string; username: string; isCustodian: boolean; active: boolean; kinds: KeyKind[] }>();
  for (const r of rows) {
    const h = holders.get(r.id) ?? { id: r.id, username: r.username, isCustodian: r.is_custodian, active: r.status === 'active', kinds: [] };
    h.kinds.push(r.key_kind);
    holders.set(r.id, h);
  }
  return [...holders.values()].filter((h) => h.kinds.includes('report'));
}

/** An approved key holder who can receive grants (assignment, sharing, identity access). */
export async function findActiveReviewer(db: Executor, staffId: string) {
  const row = await keyHolders(db).select(['id', 'username', 'public_key', 'is_custodian']).where('id', '=', staffId).executeTakeFirst();
  return row ? { id: row.id, username: row.username, publicKey: bytes(row.public_key!), isCustodian: row.is_custodian } : null;
}

export async function deleteStaffGrants(trx: Executor, reportId: string, staffId: string): Promise<number> {
  const result = await trx
    .deleteFrom('report_key_grants')
    .where('report_id', '=', reportId)
    .where('recipient_kind', '=', 'staff')
    .where('recipient_id', '=', staffId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** How many staff members other than `exceptStaffId` hold this key of this report. */
export async function countOtherHolders(db: Executor, reportId: string, kind: KeyKind, exceptStaffId: string): Promise<number> {
  const row = await db
    .selectFrom('report_key_grants')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('report_id', '=', reportId)
    .where('key_kind', '=', kind)
    .where('recipient_kind', '=', 'staff')
    .where('recipient_id', '<>', exceptStaffId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function usernamesOf(db: Executor, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.selectFrom('staff').select(['id', 'username']).where('id', 'in', unique).execute();
  return new Map(rows.map((r) => [r.id, r.username]));
}

// ---------------------------------------------------------------- links

/** Reports linked to this one (either side of the pair), and whether the viewer may open each. */
export async function listLinks(db: Executor, reportId: string, viewerId: string) {
  return db
    .selectFrom('report_links as l')
    .innerJoin('reports as r', (join) =>
      join.on(sql<SqlBool>`r.id = case when l.report_a = ${reportId}::uuid then l.report_b else l.report_a end`),
    )
    .select(['r.id', 'r.case_number', 'r.status', 'r.outcome', 'l.reason', 'l.created_at'])
    .select(holdsKeyGrant(sql.ref('r.id'), 'report', viewerId).as('accessible'))
    .where((eb) => eb.or([eb('l.report_a', '=', reportId), eb('l.report_b', '=', reportId)]))
    .orderBy('l.created_at')
    .orderBy('r.case_number')
    .execute();
}

/** Inserts a manual link (a < b) and bumps both link counts; false if the pair was already linked. */
export async function insertManualLink(trx: Executor, one: string, other: string, staffId: string): Promise<boolean> {
  const [a, b] = one < other ? [one, other] : [other, one];
  const result = await trx
    .insertInto('report_links')
    .values({ report_a: a, report_b: b, reason: 'manual', created_by: staffId })
    .onConflict((oc) => oc.columns(['report_a', 'report_b']).doNothing())
    .returning('report_a')
    .executeTakeFirst();
  if (!result) return false;
  await trx.updateTable('reports').set((eb) => ({ link_count: eb('link_count', '+', 1) })).where('id', 'in', [a, b]).execute();
  return true;
}

export async function deleteLink(trx: Executor, one: string, other: string): Promise<boolean> {
  const [a, b] = one < other ? [one, other] : [other, one];
  const result = await trx.deleteFrom('report_links').where('report_a', '=', a).where('report_b', '=', b).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) return false;
  await trx.updateTable('reports').set((eb) => ({ link_count: eb('link_count', '-', 1) })).where('id', 'in', [a, b]).execute();
  return true;
}

// ---------------------------------------------------------------- notes and messages

export async function insertNote(trx: Executor, row: { id: string; reportId: string; authorId: string; bodySealed: Uint8Array }): Promise<void> {
  await trx
    .insertInto('notes')
    .values({ id: row.id, report_id: row.reportId, author_id: row.authorId, body_sealed: row.bodySealed, created_at: sql<Date>`clock_timestamp()` })
    .execute();
}

export async function listNoteRows(db: Executor, reportId: string) {
  const rows = await db
    .selectFrom('notes as n')
    .innerJoin('staff as s', 's.id', 'n.author_id')
    .select(['n.id', 'n.author_id', 'n.body_sealed', 'n.created_at', 's.username'])
    .where('n.report_id', '=', reportId)
    .orderBy('n.seq')
    .execute();
  return rows.map((r) => ({ ...r, body_sealed: bytes(r.body_sealed) }));
}

/** The reporter's messages count as read by staff once a reviewer has had them on screen. */
export async function markReadByStaff(db: Executor, reportId: string, now = new Date()): Promise<void> {
  await db
    .updateTable('messages')
    .set({ read_by_staff_at: now })
    .where('report_id', '=', reportId)
    .where('author_kind', '=', 'reporter')
    .where('read_by_staff_at', 'is', null)
    .execute();
}

/** Attachment rows of a report (metadata still sealed), for the file route. */
export async function findReportAttachment(db: Executor, reportId: string, attachmentId: string) {
  const row = await db
    .selectFrom('attachments')
    .select(['id', 'meta_sealed'])
    .where('id', '=', attachmentId)
    .where('report_id', '=', reportId)
    .where('complete', '=', true)
    .executeTakeFirst();
  return row ? { id: row.id, metaSealed: bytes(row.meta_sealed) } : null;
}

/** Views are the bulk of a busy case's audit trail; the timeline shows them as a summary instead. */
const VIEW_EVENTS = ['case.viewed', 'case.attachment_viewed'];

/** The latest `limit` audit rows of a case other than plain views, newest first. */
export async function listTimelineRows(db: Executor, reportId: string, limit: number) {
  return db
    .selectFrom('audit_log')
    .select(['seq', 'occurred_at', 'actor_kind', 'actor_id', 'event', 'details'])
    .where('case_id', '=', reportId)
    .where('event', 'not in', VIEW_EVENTS)
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
}

/** How often the case and its files were opened, and the latest opening. */
export async function viewSummary(db: Executor, reportId: string) {
  const { rows } = await sql<{ views: number; last_at: Date | null; last_actor: string | null }>`
    select count(*)::int as views,
           max(occurred_at) as last_at,
           (array_agg(actor_id order by seq desc))[1] as last_actor
      from audit_log where case_id = ${reportId}::uuid and event in ('case.viewed', 'case.attachment_viewed')`.execute(db);
  return rows[0] ?? { views: 0, last_at: null, last_actor: null };
}

/** Has this staff member already been told about / seen this identity? (audit rows are the record.) */
export async function hasIdentityAccessRecord(db: Executor, reportId: string, staffId: string): Promise<boolean> {
  const row = await db
    .selectFrom('audit_log')
    .select('seq')
    .where('case_id', '=', reportId)
    .where((eb) =>
      eb.or([
        eb.and([eb('event', '=', 'identity.viewed'), eb('actor_id', '=', staffId)]),
        eb.and([eb('event', '=', 'identity.approved'), eb('subject_id', '=', staffId)]),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
