import { sha256, utf8 } from '../crypto/index.js';

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

/** hash = SHA-256(prev_hash || canonical JSON of the row's fields). */
export function chainHash(prevHash: Uint8Array, fields: ChainFields): Uint8Array {
  const body = canonicalJson({
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
  return sha256(input);
}
