import { hmacSha256, sha256, utf8 } from '../crypto/index.js';

/** The first row's prev_hash. */
export const GENESIS_HASH = new Uint8Array(32);

export type ChainFields = {
  seq: number;
  occurredAt: Date;
  actorKind: string;
  actorId: string | null;
  event: string;
  caseId: string | null;
  subjectId: string | null;
  details: Record<string, unknown>;
};

/** JSON with object keys sorted at every level, so the database's jsonb key order cannot matter. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Chain versions. Version 1 (rows written before 2026-12) is an unkeyed SHA-256 chain: anyone who
 * can write to the database can recompute it. Version 2 is keyed with a secret from the secrets
 * file, so an edited row cannot be given a valid hash without that file. Once a version-2 row
 * exists, every later row must be version 2 too (verify.ts), so a writer cannot fall back to the
 * unkeyed form for new rows.
 */
export const CHAIN_VERSION = 2;
export type ChainVersion = 1 | 2;

/**
 * The row hash.
 *   version 1: SHA-256(prev_hash ‖ UTF-8(canonical JSON of the fields))
 *   version 2: HMAC-SHA-256(chain key, prev_hash ‖ UTF-8(canonical JSON of the fields plus
 *              "chainVersion": 2)); the version is inside the MAC, so it cannot be relabelled.
 */
export function rowHash(version: ChainVersion, chainKey: Uint8Array | null, prevHash: Uint8Array, fields: ChainFields): Uint8Array {
  if (version === 1) return sha256(chainInput(prevHash, fields, {}));
  if (!chainKey) throw new Error('rowHash: version 2 needs the chain key');
  return hmacSha256(chainKey, chainInput(prevHash, fields, { chainVersion: 2 }));
}

/** Version-1 hash: SHA-256(prev_hash || canonical JSON of the row's fields). */
export function chainHash(prevHash: Uint8Array, fields: ChainFields): Uint8Array {
  return rowHash(1, null, prevHash, fields);
}

function chainInput(prevHash: Uint8Array, fields: ChainFields, extra: Record<string, number>): Uint8Array {
  const body = canonicalJson({
    ...extra,
    seq: fields.seq,
    occurredAt: fields.occurredAt.toISOString(),
    actorKind: fields.actorKind,
    actorId: fields.actorId,
    event: fields.event,
    caseId: fields.caseId,
    subjectId: fields.subjectId,
    details: fields.details,
  });
  const bodyBytes = utf8(body);
  const input = new Uint8Array(prevHash.length + bodyBytes.length);
  input.set(prevHash, 0);
  input.set(bodyBytes, prevHash.length);
  return input;
}
