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
 * Where the private key goes. `reserve` runs before any database change and claims the place (an
 * exclusive 0600 file), so a bad path changes nothing; `deliver` runs only after the public key and
 * its audit row committed, so no key file is ever written for a key the database does not hold;
 * `abandon` frees the reserved place when nothing was installed.
 */
export type EscrowKeySink = {
  reserve?(): Promise<void>;
  deliver(keyFile: string): Promise<void>;
  abandon?(): Promise<void>;
};

/**
 * Creates the escrow key pair once: the public key and its audit row in one transaction, then,
 * after the commit, the private key to the sink. Should delivering fail after the commit, the
 * public key is withdrawn again (audited), so no report is sealed to a key nobody holds.
 */
export async function initEscrow(
  db: Kysely<DB>,
  installation: string,
  sink: EscrowKeySink | ((keyFile: string) => Promise<void>),
  now = new Date(),
  actor: { actorKind: 'cli' } | { actorKind: 'staff'; actorId: string } = { actorKind: 'cli' },
): Promise<{ fingerprint: string } | 'exists'> {
  const { reserve, deliver, abandon } = typeof sink === 'function' ? { reserve: undefined, deliver: sink, abandon: undefined } : sink;
  await reserve?.();
  const keys = generateBoxKeyPair();
  const fingerprint = escrowFingerprint(keys.publicKey);
  try {
    let installed: 'exists' | 'installed';
    try {
      installed = await db.transaction().execute(async (trx) => {
        if (await lockEscrowPublicKey(trx)) return 'exists' as const;
        await storeEscrowPublicKey(trx, keys.publicKey, now);
        await appendAudit(trx, { ...actor, event: 'escrow.initialised', details: { fingerprint } });
        return 'installed' as const;
      });
    } catch (err) {
      await abandon?.().catch(() => {});
      throw err;
    }
    if (installed === 'exists') {
      await abandon?.().catch(() => {});
      return 'exists';
    }
    try {
      await deliver(formatEscrowKeyFile({ installation, createdAt: now, ...keys }));
    } catch (err) {
      await withdrawEscrow(db, keys.publicKey, actor);
      await abandon?.().catch(() => {});
      throw err;
    }
    return { fingerprint };
  } finally {
    keys.privateKey.fill(0);
  }
}

/** Takes back a public key whose private half could not be kept (only if it is still the installed one). */
async function withdrawEscrow(db: Kysely<DB>, publicKey: Uint8Array, actor: { actorKind: 'cli' } | { actorKind: 'staff'; actorId: string }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const current = await lockEscrowPublicKey(trx);
    if (!current || Buffer.compare(Buffer.from(current), Buffer.from(publicKey)) !== 0) return;
    await trx.updateTable('installation').set({ escrow_public_key: null, escrow_created_at: null }).where('id', '=', 1).execute();
    await appendAudit(trx, { ...actor, event: 'escrow.withdrawn', details: { fingerprint: escrowFingerprint(publicKey) } });
  });
}

/** The installed escrow key's fingerprint and date, for the admin console (never the key itself). */
export async function escrowStatus(db: Kysely<DB>): Promise<{ fingerprint: string; createdAt: Date | null } | null> {
  const row = await db.selectFrom('installation').select(['escrow_public_key', 'escrow_created_at']).where('id', '=', 1).executeTakeFirst();
  if (!row?.escrow_public_key) return null;
  return { fingerprint: escrowFingerprint(new Uint8Array(row.escrow_public_key)), createdAt: row.escrow_created_at ?? null };
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
