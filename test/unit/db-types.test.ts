import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { useTestDatabase } from '../helpers/db.js';
import { listStoredSettings } from '../../server/core/settings/repository.js';

const database = useTestDatabase();

/**
 * Repositories hand rows to services without converting fields, so the driver (pg or PGlite,
 * whichever this run uses) must already return these JavaScript types.
 */
describe('column types from the database driver', () => {
  it('timestamptz from the query builder is a Date', async () => {
    const { db } = database;
    const at = new Date('2026-03-04T05:06:07.089Z');
    await db.insertInto('settings').values({ key: 'probe.types', value: '1', updated_at: at, updated_by: null }).execute();
    const row = await db.selectFrom('settings').select('updated_at').where('key', '=', 'probe.types').executeTakeFirstOrThrow();
    expect(row.updated_at).toBeInstanceOf(Date);
    expect(row.updated_at.toISOString()).toBe(at.toISOString());
    const stored = (await listStoredSettings(db)).find((s) => s.key === 'probe.types');
    expect(stored?.updatedAt).toBeInstanceOf(Date);
    expect(stored?.updatedAt.getTime()).toBe(at.getTime());
  });

  it('timestamptz, timestamp and date from raw sql, also inside an aggregate, are Dates; null stays null', async () => {
    const { rows } = await sql<Record<string, unknown>>`
      select timestamptz '2026-03-04 05:06:07.089+00' as tz,
             (select max(x) from (values (timestamptz '2026-01-01 00:00:00+00')) v(x)) as agg,
             timestamp '2026-03-04 05:06:07' as ts,
             date '2026-03-04' as d,
             null::timestamptz as none`.execute(database.db);
    const row = rows[0]!;
    for (const key of ['tz', 'agg', 'ts', 'd']) expect(row[key], key).toBeInstanceOf(Date);
    expect((row.tz as Date).toISOString()).toBe('2026-03-04T05:06:07.089Z');
    expect((row.agg as Date).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(row.none).toBeNull();
  });

  it('int8 and numeric are numbers', async () => {
    const { rows } = await sql<{ n: unknown; big: unknown; dec: unknown }>`select count(*) as n, 9007199254740991::bigint as big, 12.5::numeric as dec`.execute(
      database.db,
    );
    expect(rows[0]).toEqual({ n: 1, big: 9007199254740991, dec: 12.5 });
  });
});
