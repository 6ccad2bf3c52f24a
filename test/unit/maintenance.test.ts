import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db.js';
import { runMaintenanceRound } from '../../server/core/maintenance/runner.js';
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
    expect(await runMaintenanceRound(db, tasks, createLogger('silent'))).toBe(true);
    expect(secondRan).toBe(true);
  });
});
