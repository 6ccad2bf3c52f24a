import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createMigrator, migrateToLatest } from '../../server/core/db/migrator.js';
import { appendAudit } from '../../server/core/audit/repository.js';
import { verifyAuditChain } from '../../server/core/audit/verify.js';
import { keyHolders } from '../../server/core/accounts/key-holders.js';

/**
 * The upgrade that introduces key-holder approval: reviewers who already held keys keep receiving
 * them (approved as 'migration', one audit row each, written once), accounts an admin made in the
 * workspace and that have not enrolled yet wait for a custodian like new ones.
 */

const MIGRATION = '20261201_1300_key_holder_approval';
let database: TestDatabase;
const db = () => database.db;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  const names = (await createMigrator(db()).getMigrations()).map((m) => m.name).sort();
  const before = names[names.indexOf(MIGRATION) - 1]!;
  expect((await createMigrator(db()).migrateTo(before)).error).toBeUndefined();
});
afterAll(async () => {
  await database.drop();
});

async function insertStaff(username: string, role: 'admin' | 'reviewer', status: 'active' | 'pending' | 'deactivated', createdBy: 'cli' | 'staff') {
  const id = randomUUID();
  const publicKey = status === 'pending' ? null : new Uint8Array(32).fill(7);
  await sql`insert into staff (id, username, role, status, public_key, created_at) values (${id}, ${username}, ${role}, ${status}, ${publicKey}, ${new Date('2026-11-20T08:00:00Z')})`.execute(db());
  await db().transaction().execute((trx) => appendAudit(trx, createdBy === 'cli' ? { actorKind: 'cli', event: 'staff.created', subjectId: id } : { actorKind: 'staff', actorId: randomUUID(), event: 'staff.created', subjectId: id }));
  return id;
}

describe('key-holder approval migration', () => {
  it('approves the reviewers who held keys and the CLI-created ones still to enrol, audited once as the migration', async () => {
    const holder = await insertStaff('holder', 'reviewer', 'active', 'staff');
    const admin = await insertStaff('admin', 'admin', 'active', 'cli');
    const cliPending = await insertStaff('cli.pending', 'reviewer', 'pending', 'cli');
    const webPending = await insertStaff('web.pending', 'reviewer', 'pending', 'staff');
    const gone = await insertStaff('gone', 'reviewer', 'deactivated', 'cli');

    await migrateToLatest(db());
    const rows = await db().selectFrom('staff').select(['id', 'key_approval', 'key_holder_since', 'key_holders_seen_at']).execute();
    const approval = Object.fromEntries(rows.map((r) => [r.id, r.key_approval]));
    expect(approval).toEqual({ [holder]: 'migration', [admin]: null, [cliPending]: 'migration', [webPending]: null, [gone]: null });
    expect(new Date(rows.find((r) => r.id === holder)!.key_holder_since!).toISOString()).toBe('2026-11-20T08:00:00.000Z');
    expect(rows.every((r) => r.key_holders_seen_at !== null)).toBe(true); // nobody is shown old holders as new
    expect((await keyHolders(db()).select('id').execute()).map((r) => r.id)).toEqual([holder]);

    const audited = () => db().selectFrom('audit_log').select(['subject_id', 'actor_kind', 'details']).where('event', '=', 'keyholder.approved').orderBy('seq').execute();
    expect(await audited()).toEqual([
      { subject_id: holder, actor_kind: 'system', details: { source: 'migration' } },
      { subject_id: cliPending, actor_kind: 'system', details: { source: 'migration' } },
    ]);
    await migrateToLatest(db());
    expect(await audited()).toHaveLength(2); // recorded once, not on every start
    expect(await verifyAuditChain(db())).toMatchObject({ ok: true });
  });

  it('refuses an approval of oneself at the database too', async () => {
    const id = (await db().selectFrom('staff').select('id').where('username', '=', 'web.pending').executeTakeFirstOrThrow()).id;
    await expect(db().updateTable('staff').set({ key_approval: 'custodian', key_approved_at: new Date(), key_approved_by: id }).where('id', '=', id).execute()).rejects.toThrow(
      /staff_key_approval_not_self/,
    );
  });
});
