import { sql, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { ActorKind } from '../db/schema.js';
import type { AuditDetails, AuditEvent } from './events.js';
import { CHAIN_VERSION, GENESIS_HASH, rowHash } from './chain.js';
import { auditKeysOf } from './keys.js';
import { reporterDay } from '../reporter-time.js';
import type { Executor } from '../db/executor.js';

export type AuditEntry = {
  actorKind: ActorKind;
  actorId?: string | null;
  event: AuditEvent;
  caseId?: string | null;
  subjectId?: string | null;
  details?: AuditDetails;
};

// Any fixed 64-bit number; it names the lock that serialises appends so the chain cannot fork.
const AUDIT_CHAIN_LOCK = 0x7067_6175_6469_74n;

/**
 * Appends one row to the audit chain. Call it with the transaction that makes the change it
 * records (same commit or none). The advisory lock is held until that transaction ends, so
 * concurrent appends line up behind each other and each sees its predecessor's hash.
 */
export async function appendAudit(trx: Transaction<DB>, entry: AuditEntry): Promise<void> {
  const { chain: chainKey } = auditKeysOf(trx);
  await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK.toString()}::bigint)`.execute(trx);
  const last = await trx.selectFrom('audit_log').select('hash').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const { rows } = await sql<{ seq: number; now: Date }>`select nextval('audit_log_seq')::bigint as seq, date_trunc('milliseconds', clock_timestamp()) as now`.execute(trx);
  const seq = Number(rows[0]!.seq);
  // Reporter and employee actions keep only the day: an employee's exact sign-in time would point
  // at the tip filed a minute later, a reporter's would match sign-ins and request logs.
  const coarse = entry.actorKind === 'reporter' || entry.actorKind === 'employee';
  const occurredAt = coarse ? reporterDay(rows[0]!.now) : rows[0]!.now;
  const prevHash = last ? new Uint8Array(last.hash) : GENESIS_HASH;
  const fields = {
    seq,
    occurredAt,
    actorKind: entry.actorKind,
    actorId: entry.actorId ?? null,
    event: entry.event,
    caseId: entry.caseId ?? null,
    subjectId: entry.subjectId ?? null,
    details: { ...(entry.details ?? {}) },
  };
  await trx
    .insertInto('audit_log')
    .values({
      seq,
      occurred_at: occurredAt,
      actor_kind: fields.actorKind,
      actor_id: fields.actorId,
      event: fields.event,
      case_id: fields.caseId,
      subject_id: fields.subjectId,
      details: JSON.stringify(fields.details),
      prev_hash: prevHash,
      hash: rowHash(CHAIN_VERSION, chainKey, prevHash, fields),
      chain_version: CHAIN_VERSION,
    })
    .execute();
}

/** The newest row: what a checkpoint records. */
export async function auditHead(db: Executor) {
  return db.selectFrom('audit_log').select(['seq', 'hash', 'chain_version']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
}

/** Rows in chain order, a page at a time (the whole log need not fit in memory). */
export async function auditPage(db: Executor, afterSeq: number, limit: number) {
  return db.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
}

export async function auditForCase(db: Executor, caseId: string) {
  return db.selectFrom('audit_log').selectAll().where('case_id', '=', caseId).orderBy('seq').execute();
}
