import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { constantTimeEqual } from '../crypto/index.js';
import { auditPage } from './repository.js';
import { chainHash, GENESIS_HASH } from './chain.js';

export type ChainVerdict =
  | { ok: true; rows: number }
  | { ok: false; rows: number; brokenSeq: number; reason: 'hash_mismatch' | 'link_mismatch' };

/**
 * Walks the whole chain in seq order and recomputes every hash. The first row whose stored hash
 * does not match its contents, or whose prev_hash does not match its predecessor, is named.
 */
export async function verifyAuditChain(db: Kysely<DB>, pageSize = 1000): Promise<ChainVerdict> {
  let prev = GENESIS_HASH;
  let after = 0;
  let rows = 0;
  for (;;) {
    const page = await auditPage(db, after, pageSize);
    for (const row of page) {
      rows++;
      if (!constantTimeEqual(new Uint8Array(row.prev_hash), prev)) {
        return { ok: false, rows, brokenSeq: Number(row.seq), reason: 'link_mismatch' };
      }
      const expected = chainHash(prev, {
        seq: Number(row.seq),
        occurredAt: new Date(row.occurred_at),
        actorKind: row.actor_kind,
        actorId: row.actor_id,
        event: row.event,
        caseId: row.case_id,
        subjectId: row.subject_id,
        details: row.details,
      });
      if (!constantTimeEqual(new Uint8Array(row.hash), expected)) {
        return { ok: false, rows, brokenSeq: Number(row.seq), reason: 'hash_mismatch' };
      }
      prev = new Uint8Array(row.hash);
      after = Number(row.seq);
    }
    if (page.length < pageSize) return { ok: true, rows };
  }
}
