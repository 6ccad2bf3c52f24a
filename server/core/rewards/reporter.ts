/**
 * What a reporter (anonymous with a receipt, or an employee in "my tips") can do about a reward
 * and their safety (seed 004 art. 38): make an anonymous claim code, reveal identity for the reward
 * only, ask for protection. Each function runs inside the caller's transaction with the report key
 * K the reporter opened; nothing here can run for a reporter who is not signed in.
 */
import type { AppContext } from '../context.js';
import type { Executor } from '../db/executor.js';
import type { Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { appendAudit } from '../audit/repository.js';
import { commitClaimCode, newClaimCode, sealJson } from '../crypto/index.js';
import { createIdentityKey, openReportKey, type KeyPrincipal } from '../reports/keys.js';
import { appendMessage } from '../reports/messages.js';
import { touchReporterActivity } from '../reports/report-repository.js';
import { recordAlertEvent } from '../alerts/events.js';
import { readSettings } from '../settings/service.js';
import { findRewardClaims, markProtectionRequested, replaceCodeClaim, replaceIdentityClaim } from './repository.js';
import type { RewardIdentityForm } from './schema.js';

/** A reporter holding a report: its facts and K, opened from their own grant. */
export type ReporterHold = {
  readonly reportId: string;
  readonly caseNumber: string;
  readonly rewardEligible: boolean;
  readonly principal: KeyPrincipal & { kind: 'reporter' };
  readonly reportKey: Uint8Array;
};

export type RewardRefusal = { kind: 'refused'; field: string; messageKey: string };

/** What the reporter's pages show about their claims (never the code: it was shown once). */
export async function rewardClaimStatus(db: Executor, reportId: string) {
  const claims = await findRewardClaims(db, reportId);
  return { codeCreatedAt: claims.code?.createdAt ?? null, identityGivenAt: claims.identity?.createdAt ?? null };
}

/**
 * A fresh claim code for a reward-eligible case. Returned once, for this response only; the
 * database keeps the salt and commitment (docs/crypto.md §4.10). A new code replaces the old one.
 */
export async function createClaimCode(trx: Transaction<DB>, hold: ReporterHold): Promise<{ kind: 'created'; code: string } | RewardRefusal> {
  if (!hold.rewardEligible) return { kind: 'refused', field: 'claim', messageKey: 'rewards.errors.notEligible' };
  const code = newClaimCode();
  const { salt, commitment } = commitClaimCode(hold.caseNumber, code);
  await replaceCodeClaim(trx, hold.reportId, salt, commitment);
  await touchReporterActivity(trx, hold.reportId);
  await appendAudit(trx, { actorKind: 'reporter', event: 'reward.claim_created', caseId: hold.reportId, details: { kind: 'code' } });
  return { kind: 'created', code };
}

/** The identity record a reporter reveals for the reward: sealed under KI, context `${reportId}/reward`. */
export type RewardIdentity = { name: string; phone?: string; idNumber?: string; contact?: string; purpose: 'reward'; consentedAt: string };

export const rewardIdentityContext = (reportId: string): string => `${reportId}/reward`;

/**
 * The reporter's explicit choice to reveal their identity for the reward (seed 004 art. 23: never
 * without consent). Sealed under KI, which only custodians and the reporter hold; created (and
 * granted to the custodians) when the report had none.
 */
export async function claimWithIdentity(trx: Transaction<DB>, hold: ReporterHold, form: RewardIdentityForm, now = new Date()): Promise<{ kind: 'given' } | RewardRefusal> {
  if (!hold.rewardEligible) return { kind: 'refused', field: 'consent', messageKey: 'rewards.errors.notEligible' };
  const key = (await openReportKey(trx, hold.reportId, 'identity', hold.principal)) ?? (await createIdentityKey(trx, hold.reportId, hold.principal.publicKey));
  const record: RewardIdentity = {
    name: form.identity_name!,
    phone: form.identity_phone,
    idNumber: form.identity_id_number?.toUpperCase(),
    contact: form.identity_contact,
    purpose: 'reward',
    consentedAt: now.toISOString(),
  };
  await replaceIdentityClaim(trx, hold.reportId, sealJson(key, 'identity', rewardIdentityContext(hold.reportId), record));
  key.fill(0);
  await touchReporterActivity(trx, hold.reportId);
  await appendAudit(trx, { actorKind: 'reporter', event: 'reward.identity_given', caseId: hold.reportId });
  return { kind: 'given' };
}

/**
 * "I or my family are in danger because of this report." The case becomes critical, its clocks
 * start now (the immediate-danger triage target), every key holder is alerted at once, and the
 * reviewers see the protection checklist. The reporter's own words, if any, go into the thread.
 */
export async function requestProtection(ctx: AppContext, trx: Transaction<DB>, hold: ReporterHold, message: string, now = new Date()): Promise<void> {
  const minutes = (await readSettings(ctx, trx))['deadlines.criticalTriageMinutes'];
  await markProtectionRequested(trx, hold.reportId, now, new Date(now.getTime() + minutes * 60_000));
  await appendMessage(trx, { reportId: hold.reportId, authorKind: 'system', systemCode: 'protection_requested' }, hold.reportKey);
  if (message) await appendMessage(trx, { reportId: hold.reportId, authorKind: 'reporter', body: message }, hold.reportKey);
  await touchReporterActivity(trx, hold.reportId);
  await appendAudit(trx, { actorKind: 'reporter', event: 'report.protection_requested', caseId: hold.reportId });
  await recordAlertEvent(trx, { type: 'protection.requested', reportId: hold.reportId }, now);
}
