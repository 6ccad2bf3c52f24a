import { hostname } from 'node:os';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import { describeError } from '../errors.js';

export type MaintenanceTask = { readonly name: string; run(db: Kysely<DB>, now: Date): Promise<void> };

export type ScheduleOptions = {
  /** The scheduled_jobs row this round claims: one per task list. */
  readonly job?: string;
  readonly intervalMs?: number;
  /** Written beside the claim, for operators reading scheduled_jobs. */
  readonly instance?: string;
};

const DEFAULT_JOB = 'maintenance';
const DEFAULT_INTERVAL_MS = 5 * 60_000;
export const INSTANCE_NAME = `${hostname()}:${process.pid}`;

// Names the advisory lock that keeps a second instance from waiting on a round already running.
const MAINTENANCE_LOCK = 0x7067_6d61_696e_74n;

/**
 * Claims this period's run of a scheduled job: moves next_run_at one interval past `now` if it was
 * due. The update is atomic, so of several instances asking for the same period one gets it.
 * Returns the claimed period's start, or null when the job is not due (or another instance has it).
 */
export async function claimScheduledRun(db: Executor, job: string, now: Date, intervalMs: number, instance = INSTANCE_NAME): Promise<Date | null> {
  await db.insertInto('scheduled_jobs').values({ name: job, next_run_at: now }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const claimed = await db
    .updateTable('scheduled_jobs')
    .set({ next_run_at: new Date(now.getTime() + intervalMs), last_run_at: now, last_instance: instance, runs: sql`runs + 1` })
    .where('name', '=', job)
    .where('next_run_at', '<=', now)
    .returning('runs')
    .executeTakeFirst();
  return claimed ? now : null;
}

/**
 * Runs housekeeping (expired sessions, old rate-limit windows, abandoned staged uploads) once per
 * interval across all instances on one database: an instance takes a transaction-scoped advisory
 * lock (or skips when another instance holds it), then claims the period in scheduled_jobs (or
 * skips when it was already run). The claim commits with the work, so a round that dies midway is
 * run again by the next instance that looks. A failing task is logged and the round goes on.
 */
export async function runMaintenanceRound(db: Kysely<DB>, tasks: readonly MaintenanceTask[], logger: Logger, now = new Date(), options: ScheduleOptions = {}): Promise<boolean> {
  const job = options.job ?? DEFAULT_JOB;
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${MAINTENANCE_LOCK.toString()}::bigint) as locked`.execute(trx);
    if (!rows[0]?.locked) return false;
    if (!(await claimScheduledRun(trx, job, now, options.intervalMs ?? DEFAULT_INTERVAL_MS, options.instance))) return false;
    for (const task of tasks) {
      // A savepoint per task: a failed SQL statement would otherwise abort the whole round.
      await sql`savepoint maintenance_task`.execute(trx);
      try {
        await task.run(trx, now);
        await sql`release savepoint maintenance_task`.execute(trx);
      } catch (err) {
        await sql`rollback to savepoint maintenance_task`.execute(trx);
        logger.warn({ task: task.name, err: describeError(err) }, 'maintenance task failed');
      }
    }
    logger.info({ job, period: now.toISOString(), instance: options.instance ?? INSTANCE_NAME }, 'scheduled job ran');
    return true;
  });
}

/**
 * Looks every interval/5 (at least every second) whether the job is due, so that with several
 * instances the job still runs about once per interval even while one of them is down.
 */
export function startMaintenance(db: Kysely<DB>, tasks: readonly MaintenanceTask[], logger: Logger, intervalMs = DEFAULT_INTERVAL_MS): () => void {
  const tick = () => {
    runMaintenanceRound(db, tasks, logger, new Date(), { intervalMs }).catch((err: unknown) => logger.warn({ err: describeError(err) }, 'maintenance round failed'));
  };
  return lookPeriodically(tick, { firstMs: Math.min(10_000, intervalMs), everyMs: Math.max(1_000, Math.floor(intervalMs / 5)) });
}

/**
 * Runs `tick` once after `firstMs`, then every `everyMs`, without keeping the process alive; the
 * returned function stops both. Scheduled jobs tick more often than their period and let
 * claimScheduledRun decide whether this instance runs the period.
 */
export function lookPeriodically(tick: () => void, timing: { firstMs: number; everyMs: number }): () => void {
  const first = setTimeout(tick, timing.firstMs);
  const timer = setInterval(tick, timing.everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
