import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { useTestDatabase } from '../helpers/db.js';
import { appendAudit } from '../../server/core/audit/repository.js';
import { verifyAuditChain } from '../../server/core/audit/verify.js';

const database = useTestDatabase();

const staffId = '6f1c8a52-1a7e-4c1e-9b38-0d1f7d2c9e11';

describe('audit log', () => {
  it('chains rows written in their own transactions, including concurrent ones', async () => {
    const { db } = database;
    for (let i = 0; i < 5; i++) {
      await db.transaction().execute((trx) => appendAudit(trx, { actorKind: 'staff', actorId: staffId, event: 'staff.login_succeeded', details: { attempt: i, zh: '登录' } }));
    }
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        db.transaction().execute((trx) => appendAudit(trx, { actorKind: 'system', event: 'case.status_changed', details: { to: 'in_review', n: i } })),
      ),
    );
    const verdict = await verifyAuditChain(db);
    expect(verdict).toEqual({ ok: true, rows: 13, unkeyedRows: 0, headSeq: 13, checkpointsMatched: 0 });
  });

  it('a rolled-back change leaves no audit row', async () => {
    const { db } = database;
    const before = await verifyAuditChain(db);
    await expect(
      db.transaction().execute(async (trx) => {
        await appendAudit(trx, { actorKind: 'cli', event: 'staff.created' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await verifyAuditChain(db)).toEqual(before);
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    const { db } = database;
    await expect(sql`update audit_log set event = 'staff.logout'`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/append-only/);
  });

  it('names the first tampered row when someone bypasses the trigger', async () => {
    const { db } = database;
    const rows = await db.selectFrom('audit_log').select('seq').orderBy('seq').execute();
    const victim = Number(rows[3]!.seq);
    // A database owner can switch the trigger off; the hash chain still gives them away.
    await sql`alter table audit_log disable trigger audit_log_no_update_delete`.execute(db);
    await sql`update audit_log set details = '{"attempt": 99}'::jsonb where seq = ${victim}`.execute(db);
    await sql`alter table audit_log enable trigger audit_log_no_update_delete`.execute(db);
    const verdict = await verifyAuditChain(db);
    expect(verdict).toMatchObject({ ok: false, brokenSeq: victim, reason: 'hash_mismatch' });
  });
});
