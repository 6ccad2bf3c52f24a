import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import { appendAudit } from '../audit/repository.js';
import { isDue, ruleOf, type RetentionPeriods, type RetentionRule } from './policy.js';
import { linkedReportIds, lockReports, retentionFactsOf } from './repository.js';

/**
 * Crypto-shredding of one case (docs/crypto.md "Crypto-shredding"). Every grant of K, KN and KI is
 * deleted (reviewers, custodians, the reporter's or employee's tip key, escrow), and with them
 * every sealed row of the case: payload, identity, reward note, messages, notes, files with their
 * chunks, identity requests, referrals and their updates (the stored referral bundles), blind-index
 * entries and the links they made. The reports row stays as a tombstone of triage metadata
 * (channel, categories, severity, province, status, outcome, dates, counts) with shredded_at set,
 * so statistics stay right. A ciphertext copy kept elsewhere (a backup, a dump) no longer has any
 * key in this database that opens it.
 */

export type ShredCounts = {
  grants: number;
  messages: number;
  notes: number;
  files: number;
  chunks: number;
  identityRequests: number;
  referrals: number;
  referralUpdates: number;
  blindIndexes: number;
  links: number;
};

export type ShredResult = { readonly reportId: string; readonly caseNumber: string; readonly rule: RetentionRule; readonly counts: ShredCounts };

const EMPTY = new Uint8Array(0);

/** What shredding the case would destroy, counted without changing anything. */
export async function countCaseData(db: Executor, reportId: string): Promise<ShredCounts> {
  const { rows } = await sql<Record<keyof ShredCounts, string | number>>`
    select
      (select count(*) from report_key_grants where report_id = ${reportId}) as "grants",
      (select count(*) from messages where report_id = ${reportId}) as "messages",
      (select count(*) from notes where report_id = ${reportId}) as "notes",
      (select count(*) from attachments where report_id = ${reportId}) as "files",
      (select count(*) from attachment_chunks c join attachments a on a.id = c.attachment_id where a.report_id = ${reportId}) as "chunks",
      (select count(*) from identity_requests where report_id = ${reportId}) as "identityRequests",
      (select count(*) from referrals where report_id = ${reportId}) as "referrals",
      (select count(*) from referral_updates u join referrals f on f.id = u.referral_id where f.report_id = ${reportId}) as "referralUpdates",
      (select count(*) from report_blind_indexes where report_id = ${reportId}) as "blindIndexes",
      (select count(*) from report_links where report_a = ${reportId} or report_b = ${reportId}) as "links"`.execute(db);
  const row = rows[0]!;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as ShredCounts;
}

async function destroy(trx: Transaction<DB>, reportId: string): Promise<void> {
  // Files first: their chunks go by cascade, and a message's files point at the message.
  await trx.deleteFrom('attachments').where('report_id', '=', reportId).execute();
  await trx.deleteFrom('messages').where('report_id', '=', reportId).execute();
  await trx.deleteFrom('notes').where('report_id', '=', reportId).execute();
  await trx.deleteFrom('identity_requests').where('report_id', '=', reportId).execute();
  // Referral updates go with their referral (on delete cascade).
  await trx.deleteFrom('referrals').where('report_id', '=', reportId).execute();
  await trx.deleteFrom('report_blind_indexes').where('report_id', '=', reportId).execute();
  // The reward claim's commitment and any identity given for the reward (docs/crypto.md §4.10).
  await trx.deleteFrom('reward_claims').where('report_id', '=', reportId).execute();
  for (const other of await linkedReportIds(trx, reportId)) {
    const [a, b] = reportId < other ? [reportId, other] : [other, reportId];
    await trx.deleteFrom('report_links').where('report_a', '=', a).where('report_b', '=', b).execute();
    await trx.updateTable('reports').set((eb) => ({ link_count: eb('link_count', '-', 1) })).where('id', '=', other).execute();
  }
  await trx.deleteFrom('report_key_grants').where('report_id', '=', reportId).execute();
  // An alert not yet sent would only point people at a case nobody can open any more.
  await trx.deleteFrom('alert_outbox').where('report_id', '=', reportId).where('status', '=', 'pending').execute();
  await trx
    .updateTable('reports')
    .set({
      payload_sealed: EMPTY,
      identity_sealed: null,
      reward_note_sealed: null,
      receipt_lookup_hash: null,
      reporter_wrapped_private_key: null,
      labels: [],
      link_count: 0,
      shredded_at: new Date(),
    })
    .where('id', '=', reportId)
    .execute();
}

/**
 * Shreds one case in its own transaction, if it is (still) due as of `asOf`: the case row and the
 * rows of its linked cases are locked first, in id order, and the policy is checked again under
 * the lock, so two runs at once shred a case once and a hold set meanwhile is respected.
 * Returns what was destroyed, or null when the case was not due after all.
 */
export async function shredCase(
  db: Kysely<DB>,
  reportId: string,
  periods: RetentionPeriods,
  asOf: Date,
  actor: { kind: 'system' | 'cli' },
): Promise<ShredResult | null> {
  return db.transaction().execute(async (trx) => {
    await lockReports(trx, [reportId, ...(await linkedReportIds(trx, reportId))]);
    // A link made between the first look and the lock: lock that report too.
    await lockReports(trx, await linkedReportIds(trx, reportId));
    const facts = await retentionFactsOf(trx, reportId);
    if (!facts || !isDue(facts, periods, asOf)) return null;
    const counts = await countCaseData(trx, reportId);
    await destroy(trx, reportId);
    const rule = ruleOf(facts.outcome);
    await appendAudit(trx, { actorKind: actor.kind, event: 'case.shredded', caseId: reportId, details: { rule, ...counts } });
    return { reportId, caseNumber: facts.caseNumber, rule, counts };
  });
}
