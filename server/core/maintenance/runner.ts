import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import { describeError } from '../errors.js';

export type MaintenanceTask = { readonly name: string; run(db: Kysely<DB>, now: Date): Promise<void> };

// Names the advisory lock that makes one instance at a time run a maintenance round.
const MAINTENANCE_LOCK = 0x7067_6d61_696e_74n;

/**
 * Runs housekeeping (expired sessions, old rate-limit windows, abandoned staged uploads) on a
 * timer. With several app instances on one PostgreSQL, a transaction-scoped advisory lock lets
 * exactly one of them do a round; the others skip it. A failing task is logged and the round goes on.
 */
export async function runMaintenanceRound(db: Kysely<DB>, tasks: readonly MaintenanceTask[], logger: Logger, now = new Date()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${MAINTENANCE_LOCK.toString()}::bigint) as locked`.execute(trx);
    if (!rows[0]?.locked) return false;
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
    return true;
  });
}

export function startMaintenance(db: Kysely<DB>, tasks: readonly MaintenanceTask[], logger: Logger, intervalMs = 5 * 60_000): () => void {
  const tick = () => {
    runMaintenanceRound(db, tasks, logger).catch((err: unknown) => logger.warn({ err: describeError(err) }, 'maintenance round failed'));
  };
  const first = setTimeout(tick, 10_000);
  const timer = setInterval(tick, intervalMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
