/**
 * A referral exported for a receiving body that has a public key on file (DESIGN §6): the referral
 * record (what the printed sheet shows: reference, desk, summary, whether identity went, the
 * identity itself only when it went and the exporter holds KI), then the files that went with it,
 * all sealed to that body's key (`sealBundle`). The body opens it with `bundle:open`.
 *
 * Plaintext inside the bundle: u32 big-endian manifest length ‖ manifest JSON ‖ each file's bytes
 * in manifest order (sizes and SHA-256 in the manifest).
 */
import type { AppContext } from '../context.js';
import { CryptoError, fromUtf8, sealBundle, utf8 } from '../crypto/index.js';
import { ByteReader } from '../streams/byte-reader.js';
import { auditCase, withCase } from '../cases/access.js';
import { findReportAttachment } from '../cases/repository.js';
import { openAttachmentMeta, streamAttachment } from '../reports/attachments.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { findAuthority } from './repository.js';
import { loadReferralSheet } from './service.js';

export const BUNDLE_FORMAT = 'parcelguard-referral/1';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a receiving body reads first: the record, and the files' names, sizes and hashes. */
export type BundleManifest = {
  format: typeof BUNDLE_FORMAT;
  caseNumber: string;
  referral: Record<string, unknown>;
  identity: unknown;
  /** The reward claim's commitment and outcome (docs/crypto.md §4.10); absent in bundles made before. */
  reward?: { eligible: boolean; claim: { scheme: string; salt: string; commitment: string; createdAt: string } | null; identityGiven: boolean; identity: unknown; outcome: unknown };
  files: { name: string; type: string; size: number; sha256: string }[];
};

export class BundleRefused extends Error {
  constructor(readonly messageKey: string) {
    super(messageKey);
  }
}

export type ReferralBundle = { fileName: string; authority: string; bytes: AsyncGenerator<Uint8Array> };

export async function exportReferralBundle(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, referralId: string, authorityId: string): Promise<ReferralBundle> {
  // The sheet's own checks first: no grant or no such referral is a 404 before anything else.
  const sheet = await loadReferralSheet(ctx, staff, caseNumber, referralId);
  const authority = UUID.test(authorityId) ? await findAuthority(ctx.database.db, authorityId) : null;
  if (!authority) throw new BundleRefused('referral.bundle.errors.authority');
  if (sheet.status !== 'referred') throw new BundleRefused('referral.bundle.errors.pending');

  const files = await withCase(ctx, staff, caseNumber, async (trx, c) => {
    const opened = [];
    for (const listed of sheet.details.attachments) {
      const row = await findReportAttachment(trx, c.row.id, listed.id);
      if (row) opened.push({ id: row.id, ...openAttachmentMeta(c.reportKey, c.row.id, row.id, row.metaSealed) });
    }
    await auditCase(trx, staff, c, 'referral.bundle_exported', { authority: authority.id, files: opened.length, identity: sheet.identity !== null }, referralId);
    return opened;
  });

  const manifest = {
    format: BUNDLE_FORMAT,
    exportedAt: new Date().toISOString(),
    caseNumber: sheet.caseNumber,
    categories: sheet.categories,
    severity: sheet.severity,
    referral: {
      channel: sheet.channel,
      referredAt: sheet.referredAt.toISOString(),
      reference: sheet.details.reference,
      desk: sheet.details.desk,
      summary: sheet.details.summary,
      identityShared: sheet.identityShared,
    },
    identity: sheet.identity,
    reward: sheet.reward,
    files: files.map((f) => ({ name: f.name, type: f.type, size: f.size, sha256: f.sha256 })),
  };
  const db = ctx.database.db;
  async function* plaintext(): AsyncGenerator<Uint8Array> {
    const json = utf8(JSON.stringify(manifest));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, json.byteLength);
    yield length;
    yield json;
    for (const f of files) yield* streamAttachment(db, f.id, f.fileKey);
  }
  const day = manifest.exportedAt.slice(0, 10).replace(/-/g, '');
  return { fileName: `referral-${sheet.caseNumber}-${day}.pgbundle`, authority: authority.name, bytes: sealBundle(authority.publicKey, plaintext()) };
}

/**
 * The inverse of the plaintext layout above, for `bundle:open`: the manifest, then each file's
 * bytes as they arrive. Throws CryptoError for anything that is not this format.
 */
export async function unpackReferralBundle(plain: AsyncIterable<Uint8Array>) {
  const reader = new ByteReader(plain, () => new CryptoError());
  const length = await reader.read(4);
  if (!length) throw new CryptoError();
  const json = await reader.read(new DataView(length.buffer).getUint32(0));
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(fromUtf8(json ?? new Uint8Array(0))) as BundleManifest;
  } catch {
    throw new CryptoError();
  }
  if (manifest.format !== BUNDLE_FORMAT || !Array.isArray(manifest.files)) throw new CryptoError();
  return { manifest, fileBytes: (size: number) => reader.pieces(size) };
}
