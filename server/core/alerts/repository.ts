import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../db/executor.js';
import type { AlertChannelKind, AlertDigest, AlertOutboxTable, KeyKind } from '../db/schema.js';

/** The only file that builds queries for alerts. */

export type AlertRecipient = { readonly id: string; readonly email: string | null; readonly digest: AlertDigest };
export type OutboxRow = Selectable<AlertOutboxTable>;
export type NewOutboxRow = Insertable<AlertOutboxTable>;

/** The plaintext facts an alert may name (DESIGN §3): never anything sealed. */
export async function findReportFacts(db: Executor, reportId: string) {
  return db
    .selectFrom('reports')
    .select(['id', 'case_number', 'severity', 'immediate_danger', 'assignee_id', 'status'])
    .where('id', '=', reportId)
    .executeTakeFirst();
}

/**
 * Active staff who hold a grant of `keyKind` for the report. This is the recipients rule: an alert
 * naming a case goes only to someone who can already read that case.
 */
export async function staffHoldingKey(db: Executor, reportId: string, keyKind: KeyKind = 'report'): Promise<AlertRecipient[]> {
  return db
    .selectFrom('staff')
    .select(['staff.id', 'staff.email', 'staff.alert_digest as digest'])
    .where('staff.status', '=', 'active')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('report_key_grants as g')
          .select(sql.lit(1).as('one'))
          .whereRef('g.recipient_id', '=', 'staff.id')
          .where('g.recipient_kind', '=', 'staff')
          .where('g.report_id', '=', reportId)
          .where('g.key_kind', '=', keyKind),
      ),
    )
    .orderBy('staff.id')
    .execute();
}

export async function activeStaffWhere(db: Executor, who: 'admins' | 'custodians'): Promise<AlertRecipient[]> {
  let query = db.selectFrom('staff').select(['id', 'email', 'alert_digest as digest']).where('status', '=', 'active');
  query = who === 'admins' ? query.where('role', '=', 'admin') : query.where('is_custodian', '=', true);
  return query.orderBy('id').execute();
}

export async function enabledChannelIds(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom('alert_channels').select('id').where('enabled', '=', true).orderBy('created_at').execute();
  return rows.map((r) => r.id);
}

/** Inserts outbox rows; a row whose dedupe_key is already there is skipped. Returns how many went in. */
export async function insertOutboxRows(db: Executor, rows: readonly NewOutboxRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db
    .insertInto('alert_outbox')
    .values([...rows])
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

/**
 * Claims up to `limit` due rows for this instance. `FOR UPDATE SKIP LOCKED` lets several instances
 * claim at once without waiting on or taking each other's rows; the lease (`locked_until`) hands a
 * row back to the pool if the instance that claimed it dies before recording the outcome.
 */
export async function claimDueAlerts(db: Executor, now: Date, limit: number, instance: string, leaseMs: number): Promise<OutboxRow[]> {
  const leaseEnd = new Date(now.getTime() + leaseMs);
  const { rows } = await sql<OutboxRow>`
    update alert_outbox set status = 'sending', locked_until = ${leaseEnd}, locked_by = ${instance}, attempts = attempts + 1
    where id in (
      select id from alert_outbox
      where next_attempt_at <= ${now}
        and (status = 'pending' or (status = 'sending' and locked_until < ${now}))
      order by priority, next_attempt_at
      limit ${limit}
      for update skip locked)
    returning *`.execute(db);
  return rows;
}

/** Records delivery; only the instance holding the claim may, so a late duplicate changes nothing. */
export async function markDelivered(db: Executor, ids: readonly string[], instance: string, now: Date): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('alert_outbox')
    .set({ status: 'delivered', delivered_at: now, locked_until: null, last_error: null })
    .where('id', 'in', [...ids])
    .where('status', '=', 'sending')
    .where('locked_by', '=', instance)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function markAttemptFailed(db: Executor, ids: readonly string[], instance: string, outcome: { retryAt: Date | null; reason: string }): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('alert_outbox')
    .set({
      status: outcome.retryAt ? 'pending' : 'failed',
      next_attempt_at: outcome.retryAt ?? sql<Date>`next_attempt_at`,
      locked_until: null,
      last_error: outcome.reason.slice(0, 300),
    })
    .where('id', 'in', [...ids])
    .where('locked_by', '=', instance)
    .where('status', '=', 'sending')
    .execute();
}

/** Digest rows of one person that are due together, claimed with the row that woke the worker. */
export async function claimDigestCompanions(db: Executor, staffId: string, digest: 'hourly' | 'daily', now: Date, instance: string, leaseMs: number): Promise<OutboxRow[]> {
  const leaseEnd = new Date(now.getTime() + leaseMs);
  const { rows } = await sql<OutboxRow>`
    update alert_outbox set status = 'sending', locked_until = ${leaseEnd}, locked_by = ${instance}, attempts = attempts + 1
    where id in (
      select id from alert_outbox
      where staff_id = ${staffId} and digest = ${digest} and status = 'pending' and next_attempt_at <= ${now}
      for update skip locked)
    returning *`.execute(db);
  return rows;
}

export async function findStaffEmail(db: Executor, staffId: string) {
  return db.selectFrom('staff').select(['email', 'status']).where('id', '=', staffId).executeTakeFirst();
}

export async function listFailedAlerts(db: Executor, limit = 50) {
  return db
    .selectFrom('alert_outbox as o')
    .leftJoin('staff as s', 's.id', 'o.staff_id')
    .leftJoin('alert_channels as c', 'c.id', 'o.channel_id')
    .select(['o.id', 'o.event', 'o.transport', 'o.case_number', 'o.attempts', 'o.last_error', 'o.created_at', 's.username', 'c.name as channel_name'])
    .where('o.status', '=', 'failed')
    .orderBy('o.created_at', 'desc')
    .limit(limit)
    .execute();
}

export async function countOutbox(db: Executor) {
  const rows = await db.selectFrom('alert_outbox').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Partial<Record<string, number>>;
}

// Channels ------------------------------------------------------------------------------------

export async function insertChannel(db: Executor, row: { id?: string; kind: AlertChannelKind; name: string; config_sealed: Uint8Array; url_hint: string; created_by: string | null }) {
  return db.insertInto('alert_channels').values(row).returning('id').executeTakeFirstOrThrow();
}

export async function listChannels(db: Executor) {
  return db.selectFrom('alert_channels').select(['id', 'kind', 'name', 'url_hint', 'enabled', 'created_at', 'updated_at']).orderBy('created_at').execute();
}

export async function findChannel(db: Executor, id: string) {
  return db.selectFrom('alert_channels').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setChannelEnabled(db: Executor, id: string, enabled: boolean, now: Date) {
  const r = await db.updateTable('alert_channels').set({ enabled, updated_at: now }).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteChannel(db: Executor, id: string) {
  const r = await db.deleteFrom('alert_channels').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// Staff preferences ---------------------------------------------------------------------------

export async function updateStaffAlertPreferences(db: Executor, staffId: string, prefs: { email: string | null; digest: AlertDigest }, now: Date) {
  const r = await db.updateTable('staff').set({ email: prefs.email, alert_digest: prefs.digest, updated_at: now }).where('id', '=', staffId).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function findStaffAlertPreferences(db: Executor, staffId: string) {
  return db.selectFrom('staff').select(['id', 'username', 'email', 'alert_digest']).where('id', '=', staffId).executeTakeFirst();
}
