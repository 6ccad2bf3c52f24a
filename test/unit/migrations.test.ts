import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createMigrator, migrateToLatest, migrateToNone } from '../../server/core/db/migrator.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await database.drop();
});

async function tables(): Promise<string[]> {
  const r = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_name not like 'kysely_%' order by table_name`.execute(database.db);
  return r.rows.map((row) => row.table_name);
}

describe('migrations', () => {
  it('go up, all the way down, and up again', async () => {
    await migrateToLatest(database.db);
    const afterUp = await tables();
    expect(afterUp).toContain('sessions');
    const all = await createMigrator(database.db).getMigrations();
    expect(all.every((m) => m.executedAt)).toBe(true);

    await migrateToNone(database.db);
    expect(await tables()).toEqual([]);

    await migrateToLatest(database.db);
    expect(await tables()).toEqual(afterUp);
  });

  it('step down and up one at a time', async () => {
    const migrator = createMigrator(database.db);
    const count = (await migrator.getMigrations()).length;
    for (let i = 0; i < count; i++) expect((await migrator.migrateDown()).error).toBeUndefined();
    expect(await tables()).toEqual([]);
    for (let i = 0; i < count; i++) expect((await migrator.migrateUp()).error).toBeUndefined();
    expect((await migrator.getMigrations()).every((m) => m.executedAt)).toBe(true);
  });
});
