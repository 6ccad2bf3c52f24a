/**
 * Grant policy and key access for report keys (docs/crypto.md §3).
 *
 *   K  (report)   — payload, messages, file metadata: every active reviewer, the escrow key, the reporter.
 *   KN (notes)    — internal notes: every active reviewer and the escrow key; never the reporter
 *                   (the reporter holds K, so notes must live under a key the reporter never gets).
 *   KI (identity) — the reporter's identity: active custodians and the reporter only; never the
 *                   escrow key, never an ordinary reviewer. A reviewer receives KI only when a
 *                   custodian's unlocked session re-seals it (grantKeyTo), so the rule is enforced by
 *                   cryptography, not by an access check the server could skip.
 */
import type { Insertable } from 'kysely';
import type { KeyKind, ReportKeyGrantsTable } from '../db/schema.js';
import { CryptoError, newSymmetricKey, openSealedKey, sealKeyTo } from '../crypto/index.js';
import { findGrant, insertGrants, listActiveReviewers, readEscrowPublicKey, upsertGrant } from './repository.js';
import type { Executor } from '../db/executor.js';

export type ReportKeys = {
  /** K */
  readonly report: Uint8Array;
  /** KN */
  readonly notes: Uint8Array;
  /** KI; null when the report was filed without identity (created later if identity is added). */
  readonly identity: Uint8Array | null;
};

/** Who is opening a key: a staff member from an unlocked session, or the reporter from a receipt/employee session. */
export type KeyPrincipal =
  | { readonly kind: 'staff'; readonly id: string; readonly publicKey: Uint8Array; readonly privateKey: Uint8Array }
  | { readonly kind: 'reporter'; readonly publicKey: Uint8Array; readonly privateKey: Uint8Array };

type Grant = Insertable<ReportKeyGrantsTable>;
type Reviewer = Awaited<ReturnType<typeof listActiveReviewers>>[number];

/** Fresh K, KN and (withIdentity) KI for a new report. */
export function newReportKeys(withIdentity: boolean): ReportKeys {
  return { report: newSymmetricKey(), notes: newSymmetricKey(), identity: withIdentity ? newSymmetricKey() : null };
}

type GrantOptions = { reporterPublicKey: Uint8Array; escrowPublicKey?: Uint8Array | null };

/**
 * Writes every grant the policy above calls for. The reports row must exist (grants reference it);
 * reads the reviewer list itself, and the escrow key too unless the caller already has it
 * (`escrowPublicKey`, null = no escrow).
 */
export async function grantReportKeys(trx: Executor, reportId: string, keys: ReportKeys, opts: GrantOptions): Promise<void> {
  const reviewers = await listActiveReviewers(trx);
  const escrow = opts.escrowPublicKey !== undefined ? opts.escrowPublicKey : await readEscrowPublicKey(trx);
  const grants: Grant[] = [
    ...staffAndEscrowGrants(reportId, 'report', keys.report, reviewers, escrow),
    ...staffAndEscrowGrants(reportId, 'notes', keys.notes, reviewers, escrow),
    reporterGrant(reportId, 'report', keys.report, opts.reporterPublicKey),
  ];
  if (keys.identity) grants.push(...identityGrants(reportId, keys.identity, reviewers, opts.reporterPublicKey));
  await insertGrants(trx, grants);
}

/**
 * newReportKeys + grantReportKeys for a report row that already exists. (submitReport uses the two
 * halves, because the row itself needs K to seal its payload before the grants can reference it.)
 */
export async function sealReportKeys(trx: Executor, reportId: string, opts: GrantOptions & { withIdentity: boolean }): Promise<ReportKeys> {
  const keys = newReportKeys(opts.withIdentity);
  await grantReportKeys(trx, reportId, keys, opts);
  return keys;
}

/**
 * Creates KI for a report that had no identity yet (a reporter adding it at follow-up) and grants
 * it to the active custodians and the reporter. Sealing needs only public keys, so the reporter's
 * session can do this without any staff member being present.
 */
export async function createIdentityKey(trx: Executor, reportId: string, reporterPublicKey: Uint8Array): Promise<Uint8Array> {
  const reviewers = await listActiveReviewers(trx);
  const identity = newSymmetricKey();
  await insertGrants(trx, identityGrants(reportId, identity, reviewers, reporterPublicKey));
  return identity;
}

/**
 * Opens the caller's grant of one of a report's keys. Returns null when the principal holds no
 * grant (callers turn that into a 404) or when the grant does not open with their key pair.
 */
export async function openReportKey(db: Executor, reportId: string, kind: KeyKind, principal: KeyPrincipal): Promise<Uint8Array | null> {
  const recipient = principal.kind === 'staff' ? ({ kind: 'staff', id: principal.id } as const) : ({ kind: 'reporter' } as const);
  const sealed = await findGrant(db, reportId, kind, recipient);
  if (!sealed) return null;
  try {
    return openSealedKey(sealed, principal);
  } catch (err) {
    if (err instanceof CryptoError) return null;
    throw err;
  }
}

/**
 * Re-seals a key the granting principal holds to another staff member (assignment, sharing, a
 * custodian approving identity access). Only possible from an unlocked session: the server cannot
 * open a grant by itself. Returns false when the granter holds no usable grant of that key.
 */
export async function grantKeyTo(
  trx: Executor,
  reportId: string,
  kind: KeyKind,
  staffId: string,
  staffPublicKey: Uint8Array,
  sealedByPrincipal: KeyPrincipal & { kind: 'staff' },
): Promise<boolean> {
  const key = await openReportKey(trx, reportId, kind, sealedByPrincipal);
  if (!key) return false;
  try {
    await upsertGrant(trx, {
      report_id: reportId,
      key_kind: kind,
      recipient_kind: 'staff',
      recipient_id: staffId,
      sealed_key: sealKeyTo(key, staffPublicKey),
      granted_by: sealedByPrincipal.id,
    });
    return true;
  } finally {
    key.fill(0);
  }
}

function staffAndEscrowGrants(reportId: string, kind: 'report' | 'notes', key: Uint8Array, reviewers: Reviewer[], escrow: Uint8Array | null): Grant[] {
  const grants: Grant[] = reviewers.map((r) => ({
    report_id: reportId,
    key_kind: kind,
    recipient_kind: 'staff',
    recipient_id: r.id,
    sealed_key: sealKeyTo(key, r.publicKey),
  }));
  if (escrow) grants.push({ report_id: reportId, key_kind: kind, recipient_kind: 'escrow', recipient_id: null, sealed_key: sealKeyTo(key, escrow) });
  return grants;
}

function identityGrants(reportId: string, key: Uint8Array, reviewers: Reviewer[], reporterPublicKey: Uint8Array): Grant[] {
  const custodians = reviewers.filter((r) => r.isCustodian);
  return [
    ...custodians.map((c): Grant => ({
      report_id: reportId,
      key_kind: 'identity',
      recipient_kind: 'staff',
      recipient_id: c.id,
      sealed_key: sealKeyTo(key, c.publicKey),
    })),
    reporterGrant(reportId, 'identity', key, reporterPublicKey),
  ];
}

function reporterGrant(reportId: string, kind: KeyKind, key: Uint8Array, reporterPublicKey: Uint8Array): Grant {
  return { report_id: reportId, key_kind: kind, recipient_kind: 'reporter', recipient_id: null, sealed_key: sealKeyTo(key, reporterPublicKey) };
}
