import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import type { Config } from '../config.js';
import { describeError } from '../errors.js';
import { claimScheduledRun, INSTANCE_NAME, lookPeriodically } from '../maintenance/runner.js';
import { readSettings } from '../settings/service.js';
import { isDue, periodsFrom, ruleOf, type RetentionPeriods, type RetentionRule } from './policy.js';
import { factsOf, listRetentionCandidates } from './repository.js';
import { countCaseData, shredCase, type ShredCounts } from './shred.js';

const DAY_MS = 86_400_000;

export type RetentionRunItem = { readonly caseNumber: string; readonly rule: RetentionRule; readonly counts: ShredCounts };
export type RetentionRunResult = { readonly asOf: Date; readonly dryRun: boolean; readonly items: RetentionRunItem[] };

/**
 * Shreds every closed case whose retention period has passed as of `asOf` (each in its own
 * transaction), or with `dryRun` only lists them with what they hold. Cases on legal hold and open
 * cases are never touched.
 */
export async function runRetention(
  db: Kysely<DB>,
  periods: RetentionPeriods,
  opts: { asOf?: Date; dryRun?: boolean; actor?: 'system' | 'cli' } = {},
): Promise<RetentionRunResult> {
  const asOf = opts.asOf ?? new Date();
  const shortest = Math.min(periods.unfoundedDays, periods.referredDays, periods.otherDays);
  const candidates = await listRetentionCandidates(db, new Date(asOf.getTime() - shortest * DAY_MS));
  const items: RetentionRunItem[] = [];
  for (const row of candidates) {
    if (!isDue(factsOf(row), periods, asOf)) continue;
    if (opts.dryRun) {
      items.push({ caseNumber: row.case_number, rule: ruleOf(row.outcome), counts: await countCaseData(db, row.id) });
      continue;
    }
    const done = await shredCase(db, row.id, periods, asOf, { kind: opts.actor ?? 'system' });
    if (done) items.push({ caseNumber: done.caseNumber, rule: done.rule, counts: done.counts });
  }
  return { asOf, dryRun: opts.dryRun === true, items };
}

const JOB = 'retention';
export const RETENTION_INTERVAL_MS = 3600_000;

/**
 * One scheduled round: the instance that claims this hour's run in scheduled_jobs (the claim is
 * atomic, so of several instances one gets it) runs retention with the periods in force.
 * Returns the result, or null when another instance has (or had) this period.
 */
export async function runScheduledRetention(
  ctx: { database: { db: Kysely<DB> }; config: Config },
  now = new Date(),
  opts: { intervalMs?: number; instance?: string } = {},
): Promise<RetentionRunResult | null> {
  const db = ctx.database.db;
  const claimed = await db.transaction().execute((trx) => claimScheduledRun(trx, JOB, now, opts.intervalMs ?? RETENTION_INTERVAL_MS, opts.instance ?? INSTANCE_NAME));
  if (!claimed) return null;
  const periods = periodsFrom(await readSettings(ctx, db, { fresh: true }));
  return runRetention(db, periods, { asOf: now, actor: 'system' });
}

/** Looks every few minutes whether the hourly retention round is due; logs counts only. */
export function startRetention(ctx: { database: { db: Kysely<DB> }; config: Config; logger: Logger }, intervalMs = RETENTION_INTERVAL_MS): () => void {
  const tick = () => {
    runScheduledRetention(ctx, new Date(), { intervalMs })
      .then((result) => {
        if (result && result.items.length > 0) ctx.logger.info({ job: JOB, shredded: result.items.length }, 'retention shredded closed cases');
      })
      .catch((err: unknown) => ctx.logger.warn({ err: describeError(err) }, 'retention round failed'));
  };
  return lookPeriodically(tick, { firstMs: Math.min(30_000, intervalMs), everyMs: Math.max(1_000, Math.floor(intervalMs / 12)) });
}
