import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { constantTimeEqual, toHex } from '../crypto/index.js';
import { auditPage } from './repository.js';
import { GENESIS_HASH, rowHash } from './chain.js';
import { auditKeysOf } from './keys.js';
import type { Checkpoint } from './checkpoints.js';

export type ChainBreak =
  /** The row's contents do not give its stored hash (edited, or rehashed without the key). */
  | 'hash_mismatch'
  /** prev_hash differs from the previous row's hash (a row removed or inserted). */
  | 'link_mismatch'
  /** An unkeyed row after a keyed one: the chain may only move from version 1 to 2. */
  | 'version_regressed'
  | 'unknown_version'
  /** A checkpoint records another hash for this seq, or a row it recorded is gone. */
  | 'checkpoint_mismatch'
  /** A checkpoint records a later head than the newest row: the newest rows were removed. */
  | 'head_behind_checkpoint';

/** What an alert calls a break: rows held against a checkpoint, or the chain itself. */
export function alertReasonOf(reason: ChainBreak): 'chain' | 'checkpoint' {
  return reason === 'checkpoint_mismatch' || reason === 'head_behind_checkpoint' ? 'checkpoint' : 'chain';
}

export type ChainVerdict =
  | { ok: true; rows: number; unkeyedRows: number; headSeq: number | null; checkpointsMatched: number }
  | { ok: false; rows: number; brokenSeq: number; reason: ChainBreak; instance?: string };

type Walk = { prev: Uint8Array; rows: number; unkeyed: number; keyedSeen: boolean; lastSeq: number | null };

/**
 * Walks the whole chain in seq order and recomputes every hash (version 1 unkeyed, version 2 with
 * the chain key of the database handle), then holds the chain against the checkpoints written
 * outside the database. The first failure is named.
 */
export async function verifyAuditChain(db: Kysely<DB>, checkpoints: readonly Checkpoint[] = [], pageSize = 1000): Promise<ChainVerdict> {
  const chainKey = auditKeysOf(db).chain;
  const bySeq = new Map<number, Checkpoint[]>();
  for (const cp of checkpoints) bySeq.set(cp.seq, [...(bySeq.get(cp.seq) ?? []), cp]);
  const walk: Walk = { prev: GENESIS_HASH, rows: 0, unkeyed: 0, keyedSeen: false, lastSeq: null };
  let matched = 0;
  for (let after = 0; ;) {
    const page = await auditPage(db, after, pageSize);
    for (const row of page) {
      const seq = Number(row.seq);
      walk.rows++;
      const reason = checkRow(walk, chainKey, row);
      if (reason) return { ok: false, rows: walk.rows, brokenSeq: seq, reason };
      const hex = toHex(walk.prev);
      for (const cp of bySeq.get(seq) ?? []) {
        if (cp.head !== hex) return { ok: false, rows: walk.rows, brokenSeq: seq, reason: 'checkpoint_mismatch', instance: cp.instance };
        matched++;
      }
      bySeq.delete(seq);
      walk.lastSeq = after = seq;
    }
    if (page.length < pageSize) break;
  }
  // Checkpoints left over name rows that no longer exist.
  const missing = [...bySeq.values()].flat().sort((a, b) => b.seq - a.seq)[0];
  if (missing) {
    const behind = walk.lastSeq === null || missing.seq > walk.lastSeq;
    return { ok: false, rows: walk.rows, brokenSeq: missing.seq, reason: behind ? 'head_behind_checkpoint' : 'checkpoint_mismatch', instance: missing.instance };
  }
  return { ok: true, rows: walk.rows, unkeyedRows: walk.unkeyed, headSeq: walk.lastSeq, checkpointsMatched: matched };
}

type AuditRow = Awaited<ReturnType<typeof auditPage>>[number];

/** Checks one row against its predecessor; on success advances `walk.prev` to its hash. */
function checkRow(walk: Walk, chainKey: Uint8Array, row: AuditRow): ChainBreak | null {
  const version = row.chain_version;
  if (version !== 1 && version !== 2) return 'unknown_version';
  if (version === 1 && walk.keyedSeen) return 'version_regressed';
  if (!constantTimeEqual(new Uint8Array(row.prev_hash), walk.prev)) return 'link_mismatch';
  const expected = rowHash(version, chainKey, walk.prev, {
    seq: Number(row.seq),
    occurredAt: row.occurred_at,
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    event: row.event,
    caseId: row.case_id,
    subjectId: row.subject_id,
    details: row.details,
  });
  if (!constantTimeEqual(new Uint8Array(row.hash), expected)) return 'hash_mismatch';
  if (version === 2) walk.keyedSeen = true;
  else walk.unkeyed++;
  walk.prev = new Uint8Array(row.hash);
  return null;
}
