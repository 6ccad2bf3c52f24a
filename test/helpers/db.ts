import { afterAll, beforeAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../../server/core/db/index.js';
import { migrateToLatest } from '../../server/core/db/migrator.js';
import { cryptoReady } from '../../server/core/crypto/index.js';
import { withAuditKeys } from '../../server/core/audit/keys.js';

export type TestDatabase = Database & { readonly name: string; drop(): Promise<void> };

/**
 * A private, migrated database for one test file. With DATABASE_URL set it is a fresh database on
 * that PostgreSQL server (dropped afterwards), so parallel workers never see each other's rows;
 * otherwise an in-memory PGlite instance.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const created = process.env.DATABASE_URL ? await createPostgresDatabase(process.env.DATABASE_URL) : await createPgliteDatabase();
  // Fresh audit keys per database, as a secrets file would give; createTestApp attaches its config's.
  const database = { ...created, db: withAuditKeys(created.db, { chain: new Uint8Array(randomBytes(32)), checkpoint: new Uint8Array(randomBytes(32)) }) };
  if (options.migrate !== false) await migrateToLatest(database.db);
  return database;
}

async function createPgliteDatabase(): Promise<TestDatabase> {
  const database = await openPglite();
  return { ...database, name: 'pglite-memory', drop: () => database.close() };
}

async function createPostgresDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `pgtest_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = openPostgres(url.toString(), 5);
  return {
    ...database,
    name,
    drop: async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      try {
        await cleanup.query(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

/**
 * Registers a private migrated database for the calling test file (libsodium made ready first)
 * and drops it after the file. Read `.db` inside hooks and tests, not at import time.
 */
export function useTestDatabase(): { readonly db: TestDatabase['db'] } {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    await cryptoReady();
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });
  return {
    get db() {
      if (!database) throw new Error('useTestDatabase: the database exists only inside hooks and tests');
      return database.db;
    },
  };
}
