import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db.js';
import { claimScheduledRun, runMaintenanceRound } from '../../server/core/maintenance/runner.js';
import { MAINTENANCE_TASKS } from '../../server/core/maintenance/tasks.js';
import { createLogger } from '../../server/core/logger.js';
import { createSession } from '../../server/core/sessions/store.js';
import { takeRateLimit } from '../../server/core/rate-limit.js';
import { fromHex } from '../../server/core/crypto/index.js';
import { sql } from 'kysely';

const database = useTestDatabase();

describe('maintenance', () => {
  it('drops expired sessions and rate-limit windows no sliding count reads, keeping live ones', async () => {
    const { db } = database;
    const principal = '1d2c3b4a-0000-4000-8000-000000000001';
    await createSession(db, 'reporter', principal, null, {}, { idleSeconds: 60, absoluteSeconds: 1 });
    await createSession(db, 'reporter', principal, null, {}, { idleSeconds: 60, absoluteSeconds: 3600 });
    const rule = { bucket: 'm', limit: 10, windowSeconds: 3600 };
    const now = new Date();
    const deps = { db, config: { secrets: { blindIndexKey: fromHex('01'.repeat(32)), rateLimitKey: fromHex('02'.repeat(32)) } } };
    await takeRateLimit(deps, rule, 'old', new Date(now.getTime() - 30 * 3600 * 1000));
    await takeRateLimit(deps, rule, 'fresh', now);

    const ran = await runMaintenanceRound(db, MAINTENANCE_TASKS, createLogger('silent'), new Date(now.getTime() + 5000));
    expect(ran).toBe(true);
    expect(await db.selectFrom('sessions').select('principal_id').execute()).toHaveLength(1);
    const left = await db.selectFrom('rate_limits').select('window_start').execute();
    expect(left.map((r) => new Date(r.window_start).getTime())).toEqual([Math.floor(now.getTime() / 3600_000) * 3600_000]);
  });

  it('keeps going when one task fails', async () => {
    const { db } = database;
    let secondRan = false;
    const tasks = [
      { name: 'broken', run: async (trx: typeof db) => { await sql`select * from no_such_table`.execute(trx); } },
      { name: 'fine', run: async () => { secondRan = true; } },
    ];
    expect(await runMaintenanceRound(db, tasks, createLogger('silent'), new Date(), { job: 'failing-round' })).toBe(true);
    expect(secondRan).toBe(true);
  });

  it('runs a job once per period, however many instances ask, and again in the next period', async () => {
    const { db } = database;
    const runs: string[] = [];
    const tasks = [{ name: 'count', run: async () => void runs.push('ran') }];
    const t0 = new Date('2030-01-01T00:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const round = (now: Date, instance: string) =>
      runMaintenanceRound(db, tasks, createLogger('silent'), now, { job: 'once-per-period', intervalMs: 60_000, instance });

    // Two instances asking at the same moment (concurrently on PostgreSQL's pool): one runs.
    const first = await Promise.all([round(t0, 'a'), round(t0, 'b')]);
    expect(first.filter(Boolean)).toHaveLength(1);
    // Later in the same period: nobody runs it again.
    expect(await round(at(30_000), 'b')).toBe(false);
    // The next period: the other instance may take it.
    expect(await round(at(60_000), 'b')).toBe(true);
    expect(runs).toHaveLength(2);
    const row = await db.selectFrom('scheduled_jobs').selectAll().where('name', '=', 'once-per-period').executeTakeFirstOrThrow();
    expect(row.runs).toBe(2);
    expect(row.last_instance).toBe('b');
    expect(new Date(row.next_run_at).getTime()).toBe(at(120_000).getTime());
  });

  it('claims a period only when due, atomically', async () => {
    const { db } = database;
    const now = new Date('2031-05-05T00:00:00Z');
    const claims = await Promise.all(Array.from({ length: 5 }, (_, i) => claimScheduledRun(db, 'claim-race', now, 1_000, `i${i}`)));
    expect(claims.filter((c) => c !== null)).toHaveLength(1);
    expect(await claimScheduledRun(db, 'claim-race', new Date(now.getTime() + 999), 1_000)).toBeNull();
    expect(await claimScheduledRun(db, 'claim-race', new Date(now.getTime() + 1_000), 1_000)).toEqual(new Date(now.getTime() + 1_000));
  });
});
