import { mkdirSync } from 'node:fs';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';
import type { Config } from '../config.js';

export type { DB } from './schema.js';
export type Db = Kysely<DB>;

export type Database = {
  readonly db: Db;
  readonly driver: 'pg' | 'pglite';
  /** One round trip; rejects when the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
};

const INT8_OID = 20;
const NUMERIC_OID = 1700;

// Both drivers must hand repositories the same JavaScript types, so that rows map to domain objects
// without per-field conversions. Out of the box both already return a Date for timestamptz,
// timestamp and date (also from raw `sql` queries); counts come back as int8 and numeric, which
// never approach 2^53 here, so numbers are simpler for callers. PGlite gets the same parsers below.
// test/unit/db-types.test.ts pins all of this on both drivers.
pg.types.setTypeParser(INT8_OID, (v) => Number(v));
pg.types.setTypeParser(NUMERIC_OID, (v) => Number(v));

/** Opens the configured database: PostgreSQL through `pg` when DATABASE_URL is set, else embedded PGlite. */
export async function openDatabase(database: Config['database']): Promise<Database> {
  if (database.driver === 'pg') return openPostgres(database.url, database.poolSize);
  mkdirSync(database.dataDir, { recursive: true, mode: 0o700 });
  return openPglite(database.dataDir);
}

export function openPostgres(url: string, poolSize = 10): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    // Surfaces a dead server as an error instead of a hang.
    query_timeout: 30_000,
  });
  // An idle client losing its connection (e.g. PostgreSQL restarting) must not crash the process;
  // the pool discards it and the next checkout opens a fresh one.
  pool.on('error', () => {});
  // A checked-out client has no pool listener: if the server dies between its queries, pg emits
  // 'error' on the client itself, which would crash the process. Its pending query still rejects.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    driver: 'pg',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/** dataDir undefined = in memory (tests). PGlite is single-connection: keep one per process. */
export async function openPglite(dataDir?: string): Promise<Database> {
  // Loaded here, not at the top: a server on PostgreSQL never pays for the embedded database.
  const { PGlite } = await import('@electric-sql/pglite');
  // btree_gin: the queue's filter index (migration 20261204_1000) is GIN over plain columns.
  const { btree_gin } = await import('@electric-sql/pglite/contrib/btree_gin');
  const pglite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    extensions: { btree_gin },
    parsers: {
      [INT8_OID]: (v: string) => Number(v),
      [NUMERIC_OID]: (v: string) => Number(v),
    },
  });
  let closed = false;
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    driver: 'pglite',
    ping: async () => {
      if (closed) throw new Error('database closed');
      await sql`select 1`.execute(db);
    },
    close: async () => {
      closed = true;
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
