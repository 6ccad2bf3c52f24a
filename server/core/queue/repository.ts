import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { DB } from '../db/schema.js';
import type { ReportChannel, ReportStatus, Severity } from '../reports/lifecycle.js';
import type { Executor } from '../db/executor.js';
import { holdsKeyGrant } from '../cases/grant-query.js';
import { keyHolders } from '../accounts/key-holders.js';

/**
 * Queue queries. Only plaintext metadata columns are read: nothing here selects a sealed column,
 * so drawing the queue never needs (or touches) a key.
 */
export type QueueSortKey = 'newest' | 'oldest' | 'due' | 'severity';

export type QueueFilter = {
  /** 'open' = anything not closed. */
  status: 'open' | 'all' | ReportStatus;
  /** Any of these categories (array overlap); empty = any. */
  categories: readonly string[];
  severity?: Severity;
  channel?: ReportChannel;
  province?: string;
  /** 'others' = assigned to someone other than the viewer; a uuid = that reviewer. */
  assignee?: 'me' | 'unassigned' | 'others' | string;
  due?: 'overdue' | 'due_soon';
  /**
   * Also count a case still new after 7 days as overdue, whatever its triage deadline says. Only
   * needed when the configured acknowledgement window is longer than that bound (otherwise the
   * deadline is always earlier), and it costs an index: the service sets it only then.
   */
  legalAckBound?: boolean;
  linked: boolean;
  createdFrom?: Date;
  createdBefore?: Date;
};

/** Where the previous page ended: the sort key as text (a timestamp with microseconds, or a number) and the id. */
export type QueuePosition = { key: string; createdAt?: string; id: string };

type Eb = ExpressionBuilder<DB & { r: DB['reports'] }, 'r'>;

const LEGAL_ACK_BOUND = sql`interval '7 days'`;
const DUE_SOON = sql`interval '24 hours'`;

// to_char keeps the microseconds that a JS Date would drop; keyset comparisons must be exact.
const createdText = sql<string>`to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const dueText = sql<string | null>`to_char(r.next_due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function filterConditions(eb: Eb, staffId: string, f: QueueFilter, sort: QueueSortKey, now: Date): Expression<SqlBool>[] {
  const c: Expression<SqlBool>[] = [holdsKeyGrant(sql.ref('r.id'), 'report', staffId)];
  // "Open" is written as "has a deadline" (next_due_at is null exactly when closed): one predicate
  // that the open-case partial indexes share, so the planner neither misses them nor multiplies
  // two correlated conditions into a wildly low row estimate.
  if (f.status === 'open' || sort === 'due') c.push(eb('r.next_due_at', 'is not', null));
  if (f.status !== 'open' && f.status !== 'all') c.push(eb('r.status', '=', f.status));
  if (f.categories.length > 0) c.push(sql<SqlBool>`r.categories && ${sql.val([...f.categories])}::text[]`);
  if (f.severity) c.push(eb('r.severity', '=', f.severity));
  if (f.channel) c.push(eb('r.channel', '=', f.channel));
  if (f.province) c.push(eb('r.province', '=', f.province));
  if (f.assignee === 'me') c.push(eb('r.assignee_id', '=', staffId));
  else if (f.assignee === 'unassigned') c.push(eb('r.assignee_id', 'is', null));
  else if (f.assignee === 'others') c.push(eb.and([eb('r.assignee_id', 'is not', null), eb('r.assignee_id', '<>', staffId)]));
  else if (f.assignee) c.push(eb('r.assignee_id', '=', f.assignee));
  if (f.due === 'overdue' && f.legalAckBound) {
    c.push(
      eb.or([
        eb('r.next_due_at', '<', now),
        eb.and([eb('r.status', '=', 'new'), sql<SqlBool>`r.created_at < ${now}::timestamptz - ${LEGAL_ACK_BOUND}`]),
      ]),
    );
  } else if (f.due === 'overdue') {
    c.push(eb('r.next_due_at', '<', now));
  } else if (f.due === 'due_soon') {
    c.push(eb('r.next_due_at', '>=', now), sql<SqlBool>`r.next_due_at < ${now}::timestamptz + ${DUE_SOON}`);
  }
  if (f.linked) c.push(eb('r.link_count', '>', 0));
  if (f.createdFrom) c.push(eb('r.created_at', '>=', f.createdFrom));
  if (f.createdBefore) c.push(eb('r.created_at', '<', f.createdBefore));
  return c;
}

function afterPosition(eb: Eb, sort: QueueSortKey, p: QueuePosition): Expression<SqlBool> {
  const ts = (v: string) => sql`${v}::timestamptz`;
  switch (sort) {
    case 'newest':
      return sql<SqlBool>`(r.created_at, r.id) < (${ts(p.key)}, ${p.id}::uuid)`;
    case 'oldest':
      return sql<SqlBool>`(r.created_at, r.id) > (${ts(p.key)}, ${p.id}::uuid)`;
    case 'due':
      return sql<SqlBool>`(r.next_due_at, r.id) > (${ts(p.key)}, ${p.id}::uuid)`;
    case 'severity':
      return sql<SqlBool>`(r.severity_weight, r.created_at, r.id) < (${Number(p.key)}::smallint, ${ts(p.createdAt ?? p.key)}, ${p.id}::uuid)`;
  }
  void eb;
}

/**
 * One page of the viewer's queue, `limit + 1` rows so the caller knows whether another follows.
 * Each sort order matches an index (migrations 0003 and 0005), and the page continues from a
 * keyset position rather than an offset, so page 1000 costs what page 1 costs.
 */
export async function queuePage(db: Executor, staffId: string, filter: QueueFilter, sort: QueueSortKey, after: QueuePosition | null, limit: number, now = new Date()) {
  let query = db
    .selectFrom('reports as r')
    .leftJoin('staff as a', 'a.id', 'r.assignee_id')
    .select([
      'r.id', 'r.case_number', 'r.channel', 'r.status', 'r.outcome', 'r.severity', 'r.categories', 'r.province',
      'r.immediate_danger', 'r.assignee_id', 'a.username as assignee_username', 'r.labels', 'r.attachment_count',
      'r.identity_present', 'r.consent_level', 'r.reward_eligible', 'r.link_count', 'r.referral_status',
      'r.created_at', 'r.updated_at', 'r.triage_due_at', 'r.feedback_due_at', 'r.last_reporter_activity_at', 'r.severity_weight',
      // The deadline engine's clock columns (alerts/deadlines.ts CLOCK_COLUMNS): badges need no query per row.
      'r.acknowledged_at', 'r.first_feedback_at', 'r.last_feedback_at', 'r.referral_pending_since',
    ])
    .select([createdText.as('created_text'), dueText.as('due_text')])
    .where((eb) => eb.and([...filterConditions(eb, staffId, filter, sort, now), ...(after ? [afterPosition(eb, sort, after)] : [])]));
  if (sort === 'newest') query = query.orderBy('r.created_at', 'desc').orderBy('r.id', 'desc');
  else if (sort === 'oldest') query = query.orderBy('r.created_at', 'asc').orderBy('r.id', 'asc');
  else if (sort === 'due') query = query.orderBy('r.next_due_at', 'asc').orderBy('r.id', 'asc');
  else query = query.orderBy('r.severity_weight', 'desc').orderBy('r.created_at', 'desc').orderBy('r.id', 'desc');
  return query.limit(limit + 1).execute();
}

export type QueueRow = Awaited<ReturnType<typeof queuePage>>[number];

/** Fold pending deltas into the totals once this many have piled up for one staff member. */
const COMPACT_AFTER_DELTAS = 200;

/**
 * Reports per status among those the viewer holds a grant for: the totals plus the deltas the
 * triggers appended since the last fold (migration 0005 explains why the triggers never update
 * the totals themselves). Folds the deltas in when many have accumulated.
 */
export async function statusCounts(db: Kysely<DB>, staffId: string): Promise<Partial<Record<ReportStatus, number>>> {
  const { rows } = await sql<{ status: ReportStatus; n: number; deltas: number }>`
    select status, sum(n)::int as n, sum(is_delta)::int as deltas from (
      select status, n, 0 as is_delta from staff_queue_counts where staff_id = ${staffId}
      union all
      select status, delta, 1 from staff_queue_count_deltas where staff_id = ${staffId}
    ) parts group by status`.execute(db);
  if (rows.reduce((sum, r) => sum + Number(r.deltas), 0) > COMPACT_AFTER_DELTAS) await compactQueueCounts(db, staffId);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/**
 * Moves one staff member's deltas into their totals in a single statement. Two folds at once are
 * safe: the second waits for the first's deleted rows and then skips them.
 */
export async function compactQueueCounts(db: Executor, staffId: string): Promise<void> {
  await sql`
    with moved as (delete from staff_queue_count_deltas where staff_id = ${staffId} returning status, delta)
    insert into staff_queue_counts (staff_id, status, n)
      select ${staffId}, status, sum(delta) from moved group by status order by status
    on conflict (staff_id, status) do update set n = staff_queue_counts.n + excluded.n`.execute(db);
}

/** Recomputes every total from the grants (after a bulk load with triggers off, or to check them). */
export async function rebuildQueueCounts(db: Executor): Promise<void> {
  await sql`delete from staff_queue_count_deltas`.execute(db);
  await sql`delete from staff_queue_counts`.execute(db);
  await sql`
    insert into staff_queue_counts (staff_id, status, n)
      select g.recipient_id, r.status, count(*) from report_key_grants g join reports r on r.id = g.report_id
      where g.key_kind = 'report' and g.recipient_kind = 'staff' group by 1, 2`.execute(db);
}

/**
 * Open cases assigned to the viewer ("my cases"), counted up to `upTo` + 1: the count reads one
 * index entry per case, so an unbounded one grows with the archive (a quarter of a million entries,
 * ~70 ms, for one reviewer in the ten-million benchmark), and past a few hundred the exact figure
 * changes nothing for the person reading it. The caller shows more than `upTo` as "upTo+".
 * An assignee always holds the grant (assignment seals it).
 */
export async function countOpenAssigned(db: Executor, staffId: string, upTo: number): Promise<number> {
  const mine = db.selectFrom('reports').select(sql.lit(1).as('one')).where('assignee_id', '=', staffId).where('next_due_at', 'is not', null).limit(upTo + 1);
  const row = await db.selectFrom(mine.as('m')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Approved key holders: who a case can be assigned to, shared with, or filtered by. */
export async function listReviewers(db: Executor) {
  return keyHolders(db).select(['id', 'username', 'is_custodian']).orderBy('username').execute();
}
