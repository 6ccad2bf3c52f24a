import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { CryptoError, fromBase64, generateBoxKeyPair, openJson, openSealedKey, sha256, toBase64, toHex } from '../crypto/index.js';
import { appendAudit } from '../audit/repository.js';
import { payloadBinding } from '../reports/payload-binding.js';
import { findEscrowReportGrant, findSealedReportByCaseNumber, lockEscrowPublicKey, readEscrowPublicKey, storeEscrowPublicKey } from './repository.js';

/**
 * The organisation escrow key (docs/crypto.md §3): every report key K and notes key KN is also
 * sealed to its public key, so reports stay recoverable if every reviewer is lost. The private key
 * exists only offline; the server keeps the public half and never sees the private half again
 * except when an operator brings it to `escrow:open` on a trusted machine.
 */

/** A short, stable name for a public key, for the key file and the audit log (public data). */
export function escrowFingerprint(publicKey: Uint8Array): string {
  return `sha256:${toHex(sha256(publicKey)).slice(0, 32)}`;
}

export type EscrowKeyFile = { readonly installation: string; readonly createdAt: Date; readonly publicKey: Uint8Array; readonly privateKey: Uint8Array };

export function formatEscrowKeyFile(file: EscrowKeyFile): string {
  return [
    '# ParcelGuard organisation escrow private key. KEEP OFFLINE. This is the only copy.',
    `# installation: ${file.installation}`,
    `# created: ${file.createdAt.toISOString()}`,
    `# public-key: ${toBase64(file.publicKey)}`,
    `# fingerprint: ${escrowFingerprint(file.publicKey)}`,
    `private-key: ${toBase64(file.privateKey)}`,
    '',
  ].join('\n');
}

/** Reads the private key from a key file (or from a file holding only the base64 key). */
export function parseEscrowKeyFile(text: string): Uint8Array | null {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const line = lines.find((l) => l.startsWith('private-key:')) ?? (lines.length === 1 ? lines[0] : undefined);
  if (!line) return null;
  try {
    const key = fromBase64(line.replace(/^private-key:\s*/, ''));
    return key.length === 32 ? key : null;
  } catch {
    return null;
  }
}

/**
 * Creates the escrow key pair once. `keep` receives the key file text and must put it somewhere
 * safe (a 0600 file, or the terminal); it runs inside the transaction, so if keeping the private
 * key fails, the public key is not installed either and no report is ever sealed to a lost key.
 */
export async function initEscrow(db: Kysely<DB>, installation: string, keep: (keyFile: string) => Promise<void>, now = new Date()): Promise<{ fingerprint: string } | 'exists'> {
  return db.transaction().execute(async (trx) => {
    if (await lockEscrowPublicKey(trx)) return 'exists';
    const keys = generateBoxKeyPair();
    try {
      await keep(formatEscrowKeyFile({ installation, createdAt: now, ...keys }));
    } finally {
      keys.privateKey.fill(0);
    }
    await storeEscrowPublicKey(trx, keys.publicKey, now);
    const fingerprint = escrowFingerprint(keys.publicKey);
    await appendAudit(trx, { actorKind: 'cli', event: 'escrow.initialised', details: { fingerprint } });
    return { fingerprint };
  });
}

export type EscrowOpenResult =
  | { readonly ok: true; readonly caseNumber: string; readonly payload: unknown }
  | { readonly ok: false; readonly reason: 'noEscrow' | 'notFound' | 'noGrant' | 'wrongKey' | 'shredded' };

/**
 * Recovery of one case's report with the offline escrow key. The opening is audited (before the
 * plaintext is handed back) with the case and the key's fingerprint, never with any content.
 */
export async function openCaseWithEscrow(db: Kysely<DB>, caseNumber: string, privateKey: Uint8Array): Promise<EscrowOpenResult> {
  const publicKey = await readEscrowPublicKey(db);
  if (!publicKey) return { ok: false, reason: 'noEscrow' };
  const report = await findSealedReportByCaseNumber(db, caseNumber);
  if (!report) return { ok: false, reason: 'notFound' };
  // Shredded under the retention policy: no grant is left, and the payload is gone too.
  if (report.payload_sealed.length === 0) return { ok: false, reason: 'shredded' };
  const grant = await findEscrowReportGrant(db, report.id);
  if (!grant) return { ok: false, reason: 'noGrant' };
  let payload: unknown;
  try {
    const reportKey = openSealedKey(grant, { publicKey, privateKey });
    payload = openJson<unknown>(reportKey, 'payload', report.id, new Uint8Array(report.payload_sealed), payloadBinding(report));
    reportKey.fill(0);
  } catch (err) {
    if (err instanceof CryptoError) return { ok: false, reason: 'wrongKey' };
    throw err;
  }
  await db.transaction().execute((trx) =>
    appendAudit(trx, { actorKind: 'cli', event: 'escrow.opened', caseId: report.id, details: { fingerprint: escrowFingerprint(publicKey) } }),
  );
  return { ok: true, caseNumber: report.case_number, payload };
}
