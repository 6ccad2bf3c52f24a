/**
 * Deterministic variants of the sealing functions, for test vectors and
 * cross-implementation tests only. Not re-exported from index.ts: production
 * code must always take fresh random nonces.
 */
import { sodium } from './sodium.js';
import { assertSymmetricKey } from './bytes.js';
import { sealRecordWithNonce, recordAssociatedData } from './records.js';
import { formatRecoveryKey, parseRecoveryKey } from './recovery.js';
import { auditChainKey, auditCheckpointKey } from './subkeys.js';
import { toHex, utf8 } from './encoding.js';
import { receiptDerivationSalt } from '../installation/repository.js';
import { canonicalJson, GENESIS_HASH, rowHash, type ChainFields } from '../audit/chain.js';
import { checkpointLine } from '../audit/checkpoints.js';
import { commitClaimCode } from './reward-claim.js';

export { sealRecordWithNonce, recordAssociatedData } from './records.js';
export { wrapKeyWithNonce } from './wrap.js';

/** Secretstream tags by name, for building streams that encryptChunks never writes. */
export type StreamTagName = 'message' | 'push' | 'rekey' | 'final';

/**
 * A raw libsodium secretstream with caller-chosen tags and optional explicit
 * rekeys, returned as [header, ...messages]. Lets an independent
 * implementation be checked on the REKEY path, which encryptChunks does not
 * use (it would take 2^32 messages to trigger the automatic rekey).
 */
export function pushStreamForTest(
  key: Uint8Array,
  messages: ReadonlyArray<{ plaintext: Uint8Array; tag: StreamTagName; rekeyAfter?: boolean }>,
): Uint8Array[] {
  assertSymmetricKey(key, 'Stream key');
  const s = sodium();
  const tags: Record<StreamTagName, number> = {
    message: s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
    push: s.crypto_secretstream_xchacha20poly1305_TAG_PUSH,
    rekey: s.crypto_secretstream_xchacha20poly1305_TAG_REKEY,
    final: s.crypto_secretstream_xchacha20poly1305_TAG_FINAL,
  };
  const { state, header } = s.crypto_secretstream_xchacha20poly1305_init_push(key);
  const out = [header];
  for (const { plaintext, tag, rekeyAfter } of messages) {
    out.push(s.crypto_secretstream_xchacha20poly1305_push(state, plaintext, null, tags[tag]));
    if (rekeyAfter) s.crypto_secretstream_xchacha20poly1305_rekey(state);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Deterministic vectors published in docs/crypto.md §7. test/unit/crypto/doc-vectors.test.ts
// recomputes each one with the production code and compares it with the document, field by field.
// `npx tsx server/core/crypto/vectors.ts` prints them in the document's format.
// ---------------------------------------------------------------------------


const seq = (from: number, n = 32) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

function recordV2Vector(): Record<string, string> {
  const key = seq(0x00);
  const nonce = seq(0x40, 24);
  const contextId = 'R-2026-000001/M-0001';
  const binding = { author_kind: 'reporter', author_id: '' };
  const text = '柜子里还有一个包裹';
  return {
    key: toHex(key), nonce: toHex(nonce), purpose: 'message', contextId, author_kind: binding.author_kind, author_id: '(empty)',
    adHex: toHex(recordAssociatedData('message', contextId, 2, binding)),
    text, sealed: toHex(sealRecordWithNonce(key, 'message', contextId, utf8(text), nonce, { version: 2, binding })),
  };
}

function receiptSaltVector(): Record<string, string> {
  const pepper = seq(0x50);
  const storedSalt = seq(0x30, 16);
  return {
    receiptPepper: toHex(pepper),
    receiptSalt: toHex(storedSalt),
    hmacInput: toHex(new Uint8Array([...utf8('receipt-salt'), ...storedSalt])),
    derivationSalt: toHex(receiptDerivationSalt(pepper, storedSalt)),
  };
}

function recoveryKeyVector(): Record<string, string> {
  const bytes = seq(0xf0);
  const text = formatRecoveryKey(bytes);
  const typed = text.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o');
  return { bytes: toHex(bytes), text, typed, parsed: toHex(parseRecoveryKey(typed)!) };
}

const AUDIT_ROWS: ChainFields[] = [
  { seq: 1, occurredAt: new Date('2026-11-23T08:00:00.000Z'), actorKind: 'cli', actorId: null, event: 'staff.created', caseId: null, subjectId: '6f1c8a52-1a7e-4c1e-9b38-0d1f7d2c9e11', details: { role: 'reviewer', custodian: false } },
  { seq: 2, occurredAt: new Date('2026-12-01T09:30:15.250Z'), actorKind: 'staff', actorId: '6f1c8a52-1a7e-4c1e-9b38-0d1f7d2c9e11', event: 'case.labels_set', caseId: '0b7f3c1e-5d2a-4e8f-9a61-3c2d1e0f4a5b', subjectId: null, details: { labels: 2, note: '复核 "A"\u0001', score: 1.5 } },
];

function bodyOf(f: ChainFields, version: 1 | 2): string {
  const { seq: s, occurredAt, actorKind, actorId, event, caseId, subjectId, details } = f;
  return canonicalJson({ ...(version === 2 ? { chainVersion: 2 } : {}), seq: s, occurredAt: occurredAt.toISOString(), actorKind, actorId, event, caseId, subjectId, details });
}

function auditChainVector(): Record<string, string> {
  const blindIndexKey = seq(0x10);
  const chainKey = auditChainKey({ blindIndexKey, rateLimitKey: seq(0x30) });
  const hash1 = rowHash(1, null, GENESIS_HASH, AUDIT_ROWS[0]!);
  const hash2 = rowHash(2, chainKey, hash1, AUDIT_ROWS[1]!);
  return {
    blindIndexKey: toHex(blindIndexKey), chainKey: toHex(chainKey),
    row1Version: '1', row1PrevHash: toHex(GENESIS_HASH), row1Body: bodyOf(AUDIT_ROWS[0]!, 1), row1Hash: toHex(hash1),
    row2Version: '2', row2PrevHash: toHex(hash1), row2Body: bodyOf(AUDIT_ROWS[1]!, 2), row2Hash: toHex(hash2),
  };
}

function auditCheckpointVector(): Record<string, string> {
  const blindIndexKey = seq(0x10);
  const checkpointKey = auditCheckpointKey({ blindIndexKey, rateLimitKey: seq(0x30) });
  const head = auditChainVector().row2Hash!;
  const line = checkpointLine(checkpointKey, { instance: 'web-1', seq: 2, head, chainVersion: 2, at: '2026-12-01T09:31:00.000Z' });
  return { blindIndexKey: toHex(blindIndexKey), checkpointKey: toHex(checkpointKey), line };
}

function rewardClaimVector(): Record<string, string> {
  const salt = seq(0x60);
  const caseNumber = 'PG-7K3M-Q9TX';
  const code = 'ABCDE-FGHJK-MNPQR-STVWX';
  const { commitment } = commitClaimCode(caseNumber, code, salt);
  return { caseNumber, code, canonicalCode: 'ABCDEFGHJKMNPQRSTVWX', salt: toHex(salt), commitment: toHex(commitment) };
}

/** Every deterministic vector of docs/crypto.md §7 by block name, computed by the production code. */
export const DOC_VECTORS: Readonly<Record<string, () => Record<string, string>>> = Object.freeze({
  'record-v2': recordV2Vector,
  'receipt-salt': receiptSaltVector,
  'recovery-key': recoveryKeyVector,
  'audit-chain': auditChainVector,
  'audit-checkpoint': auditCheckpointVector,
  'reward-claim': rewardClaimVector,
});

/** A vector block as docs/crypto.md writes it. */
export function formatVectorBlock(name: string, fields: Record<string, string>): string {
  const width = Math.max(...Object.keys(fields).map((k) => k.length));
  return ['```vector ' + name, ...Object.entries(fields).map(([k, v]) => `${k.padEnd(width)} = ${v}`), '```'].join('\n');
}

