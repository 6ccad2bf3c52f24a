import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff } from '../helpers/staff.js';
import { runCommand, type CliContext } from '../../server/cli/commands/index.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

async function verify() {
  const out: string[] = [];
  // Warnings (no checkpoint files yet) go to standard error; this file is about the chain itself.
  const ctx: CliContext = { db: t.ctx.database.db, config: t.config, kdf: t.ctx.kdf, out: (l) => out.push(l), err: () => {} };
  const code = await runCommand(ctx, ['audit:verify']);
  return { code, out: out.join('\n') };
}

describe('npm run cli -- audit:verify', () => {
  it('reports an intact chain with its length', async () => {
    expect(await verify()).toEqual({ code: 0, out: 'audit chain OK (0 rows)' });
    await createStaff(t); // staff.created, keyholder.approved (a CLI reviewer), staff.enrolment_started, staff.enrolled
    await createStaff(t);
    expect(await verify()).toEqual({ code: 0, out: 'audit chain OK (8 rows)' });
  });

  it('names the first tampered row and exits 1', async () => {
    const rows = await t.ctx.database.db.selectFrom('audit_log').select(['seq', 'event']).orderBy('seq').execute();
    const victim = rows.find((r) => r.event === 'staff.enrolled')!;
    // A database owner can switch the append-only trigger off; the hash chain still gives them away.
    await sql`alter table audit_log disable trigger audit_log_no_update_delete`.execute(t.ctx.database.db);
    await sql`update audit_log set details = '{"role":"admin","custodian":true}'::jsonb where seq = ${victim.seq}`.execute(t.ctx.database.db);
    await sql`alter table audit_log enable trigger audit_log_no_update_delete`.execute(t.ctx.database.db);
    const res = await verify();
    expect(res.code).toBe(1);
    expect(res.out).toBe(`audit chain BROKEN at seq ${victim.seq} (row contents do not match its hash)`);
  });

  it('is OK again once the row is put back exactly, and detects a deleted row as a broken link', async () => {
    const db = t.ctx.database.db;
    const victim = (await db.selectFrom('audit_log').select(['seq', 'event']).where('event', '=', 'staff.enrolled').orderBy('seq').executeTakeFirstOrThrow()).seq;
    const rows = await db.selectFrom('audit_log').select('seq').orderBy('seq').execute();
    const last = Number(rows.at(-1)!.seq);
    await sql`alter table audit_log disable trigger audit_log_no_update_delete`.execute(db);
    await sql`update audit_log set details = '{"custodian":false,"role":"reviewer"}'::jsonb where seq = ${victim}`.execute(db);
    expect(await verify()).toEqual({ code: 0, out: `audit chain OK (${rows.length} rows)` });
    await sql`delete from audit_log where seq = ${last - 1}`.execute(db);
    await sql`alter table audit_log enable trigger audit_log_no_update_delete`.execute(db);
    expect(await verify()).toEqual({ code: 1, out: `audit chain BROKEN at seq ${last} (prev_hash does not match the previous row)` });
  });
});
