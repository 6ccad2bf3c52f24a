import { sql, type Kysely } from 'kysely';
import type { DB } from '../../server/core/db/schema.js';
import { appendAudit } from '../../server/core/audit/repository.js';
import { chainHash, GENESIS_HASH, type ChainFields } from '../../server/core/audit/chain.js';

/** Writes `n` audit rows, each in its own transaction, as the app would. */
export async function appendRows(db: Kysely<DB>, n: number, event: 'staff.login_succeeded' | 'case.viewed' = 'case.viewed'): Promise<void> {
  for (let i = 0; i < n; i++) {
    await db.transaction().execute((trx) => appendAudit(trx, { actorKind: 'system', event, details: { n: i } }));
  }
}

/** Runs `change` with the append-only trigger off, as a database owner could. */
export async function asDatabaseOwner(db: Kysely<DB>, change: () => Promise<unknown>): Promise<void> {
  await sql`alter table audit_log disable trigger audit_log_no_update_delete`.execute(db);
  try {
    await change();
  } finally {
    await sql`alter table audit_log enable trigger audit_log_no_update_delete`.execute(db);
  }
}

function fieldsOf(row: Awaited<ReturnType<typeof allRows>>[number]): ChainFields {
  return {
    seq: Number(row.seq),
    occurredAt: new Date(row.occurred_at),
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    event: row.event,
    caseId: row.case_id,
    subjectId: row.subject_id,
    details: row.details,
  };
}

function allRows(db: Kysely<DB>) {
  return db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
}

/**
 * What a database writer without the secrets file can do: recompute every hash with the only
 * formula it can evaluate (unkeyed SHA-256), either keeping each row's version label or marking
 * every row as version 1.
 */
export async function rehashWithoutKey(db: Kysely<DB>, relabel: 'keep' | 'as-version-1'): Promise<void> {
  await asDatabaseOwner(db, async () => {
    let prev: Uint8Array = GENESIS_HASH;
    for (const row of await allRows(db)) {
      const hash = chainHash(prev, fieldsOf(row));
      await db
        .updateTable('audit_log')
        .set({ prev_hash: prev, hash, ...(relabel === 'as-version-1' ? { chain_version: 1 } : {}) })
        .where('seq', '=', row.seq)
        .execute();
      prev = hash;
    }
  });
}

/** Inserts rows exactly as the code before the keyed chain wrote them (version 1, unkeyed). */
export async function appendUnkeyedRows(db: Kysely<DB>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const last = await db.selectFrom('audit_log').select('hash').orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const { rows } = await sql<{ seq: number; now: Date }>`select nextval('audit_log_seq')::bigint as seq, date_trunc('milliseconds', clock_timestamp()) as now`.execute(db);
    const fields: ChainFields = {
      seq: Number(rows[0]!.seq), occurredAt: new Date(rows[0]!.now), actorKind: 'system', actorId: null,
      event: 'case.viewed', caseId: null, subjectId: null, details: { legacy: i },
    };
    const prev = last ? new Uint8Array(last.hash) : GENESIS_HASH;
    await db.insertInto('audit_log').values({
      seq: fields.seq, occurred_at: fields.occurredAt, actor_kind: 'system', actor_id: null, event: fields.event,
      case_id: null, subject_id: null, details: JSON.stringify(fields.details), prev_hash: prev,
      hash: chainHash(prev, fields), chain_version: 1,
    }).execute();
  }
}
