import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Logger } from 'pino';
import { describeError } from '../errors.js';
import { claimScheduledRun, INSTANCE_NAME, lookPeriodically } from '../maintenance/runner.js';
import { recordAlertEvent } from '../alerts/events.js';
import { auditKeysOf } from './keys.js';
import { auditHead } from './repository.js';
import { checkpointDir, readCheckpoints } from './checkpoints.js';
import { alertReasonOf, verifyAuditChain } from './verify.js';

/**
 * The audit chain verified by the portal itself, once a day across all instances: what
 * `npm run cli -- audit:verify` does, without waiting for someone to run it. The instance that
 * claims the day's run recomputes the chain, holds it against the checkpoints in its DATA_DIR, and
 * checks that its own checkpoints keep up with the chain (a checkpoint writer that stopped, or a
 * checkpoint file someone removed, leaves the newest rows unprotected against silent removal).
 * Any failure is an urgent alert to the administrators; the log line carries the verdict only.
 */

const JOB = 'audit-verify';
export const AUDIT_VERIFY_INTERVAL_MS = 24 * 3600_000;

export type AuditVerifyOutcome =
  | { readonly ok: true; readonly rows: number }
  | { readonly ok: false; readonly reason: 'chain' | 'checkpoint'; readonly detail: string };

type Ctx = { database: { db: Kysely<DB> }; config: { dataDir: string; instanceId: string; auditCheckpointSeconds: number } };

/** Verifies now, and records an alert for the admins on failure. */
export async function verifyAuditNowAndAlert(ctx: Ctx, now = new Date()): Promise<AuditVerifyOutcome> {
  const db = ctx.database.db;
  const { checkpoints, problems } = await readCheckpoints(checkpointDir(ctx.config.dataDir), auditKeysOf(db).checkpoint);
  const outcome = await judge(ctx, checkpoints, problems.filter((p) => !p.torn).length, now);
  if (!outcome.ok) await recordAlertEvent(db, { type: 'audit.verification_failed', reason: outcome.reason }, now);
  return outcome;
}

async function judge(ctx: Ctx, checkpoints: Awaited<ReturnType<typeof readCheckpoints>>['checkpoints'], forged: number, now: Date): Promise<AuditVerifyOutcome> {
  const db = ctx.database.db;
  const verdict = await verifyAuditChain(db, checkpoints);
  if (!verdict.ok) {
    return { ok: false, reason: alertReasonOf(verdict.reason), detail: `${verdict.reason} at seq ${verdict.brokenSeq}` };
  }
  if (forged > 0) return { ok: false, reason: 'checkpoint', detail: `${forged} invalid checkpoint lines` };
  // This instance writes a checkpoint at least every AUDIT_CHECKPOINT_SECONDS while the chain moves.
  // Rows older than two intervals (and an hour) with no checkpoint of ours at or after them mean
  // the writer stopped or its file went.
  const head = await auditHead(db);
  const own = checkpoints.filter((c) => c.instance === ctx.config.instanceId);
  const newestOwn = own.reduce((seq, c) => Math.max(seq, c.seq), 0);
  const graceMs = Math.max(2 * ctx.config.auditCheckpointSeconds * 1000, 3600_000);
  if (head && Number(head.seq) > newestOwn) {
    const oldestUnprotected = await db
      .selectFrom('audit_log')
      .select('occurred_at')
      .where('seq', '>', newestOwn)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    if (oldestUnprotected && now.getTime() - oldestUnprotected.occurred_at.getTime() > graceMs) {
      return { ok: false, reason: 'checkpoint', detail: `no checkpoint of instance ${ctx.config.instanceId} covers seq ${newestOwn + 1} onwards` };
    }
  }
  return { ok: true, rows: verdict.rows };
}

/** One scheduled round: the instance that claims today's run verifies; null when another has it. */
export async function runScheduledAuditVerify(ctx: Ctx, now = new Date(), opts: { intervalMs?: number; instance?: string } = {}): Promise<AuditVerifyOutcome | null> {
  const claimed = await ctx.database.db.transaction().execute((trx) => claimScheduledRun(trx, JOB, now, opts.intervalMs ?? AUDIT_VERIFY_INTERVAL_MS, opts.instance ?? INSTANCE_NAME));
  if (!claimed) return null;
  return verifyAuditNowAndAlert(ctx, now);
}

/** Looks every couple of hours whether the day's verification is due. */
export function startScheduledAuditVerify(ctx: Ctx & { logger: Logger }, intervalMs = AUDIT_VERIFY_INTERVAL_MS): () => void {
  const tick = () => {
    runScheduledAuditVerify(ctx, new Date(), { intervalMs })
      .then((outcome) => {
        if (outcome && !outcome.ok) ctx.logger.error({ job: JOB, reason: outcome.reason, detail: outcome.detail }, 'audit verification failed; administrators alerted');
        else if (outcome) ctx.logger.info({ job: JOB, rows: outcome.rows }, 'audit chain verified');
      })
      .catch((err: unknown) => ctx.logger.warn({ err: describeError(err) }, 'audit verification round failed'));
  };
  // Not at once: a restart loop must not recompute the chain on every start.
  return lookPeriodically(tick, { firstMs: Math.min(10 * 60_000, intervalMs), everyMs: Math.max(1_000, Math.floor(intervalMs / 12)) });
}
