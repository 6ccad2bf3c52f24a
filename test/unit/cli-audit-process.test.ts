import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pino from 'pino';
import { testConfig } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { appendRows, asDatabaseOwner } from '../helpers/audit.js';
import { openPglite, type Database } from '../../server/core/db/index.js';
import { migrateToLatest } from '../../server/core/db/migrator.js';
import { cryptoReady } from '../../server/core/crypto/index.js';
import { auditKeysFrom, withAuditKeys } from '../../server/core/audit/keys.js';
import { checkpointDir, writeCheckpoint } from '../../server/core/audit/checkpoints.js';

// `npm run cli -- audit:verify` as an operator runs it: a separate process with the server's
// environment (DATA_DIR with the secrets file and the checkpoints; DATABASE_URL or embedded PGlite).
const dataDir = mkdtempSync(path.join(tmpdir(), 'parcelguard-audit-cli-'));
const config = testConfig({ DATA_DIR: dataDir });
const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ARGON2_MEMORY_KIB: '1024', ARGON2_ITERATIONS: '1' };
let database: Database;
let drop: () => Promise<void>;

/** The database as the server would open it; PGlite on disk takes one process at a time. */
async function open(): Promise<Database> {
  if (process.env.DATABASE_URL) return database;
  const pglite = await openPglite(path.join(dataDir, 'pglite'));
  return { ...pglite, db: withAuditKeys(pglite.db, auditKeysFrom(config.secrets)) };
}

async function withDatabase(use: (db: Database['db']) => Promise<unknown>): Promise<void> {
  const d = await open();
  try {
    await use(d.db);
  } finally {
    if (!process.env.DATABASE_URL) await d.close();
  }
}

async function verify(): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = promisify(execFile);
  return run('npx', ['tsx', 'server/cli/index.ts', 'audit:verify'], { cwd: process.cwd(), env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

beforeAll(async () => {
  await cryptoReady();
  if (process.env.DATABASE_URL) {
    const created = await createTestDatabase();
    database = { ...created, db: withAuditKeys(created.db, auditKeysFrom(config.secrets)) };
    drop = () => created.drop();
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${created.name}`;
    env.DATABASE_URL = url.toString();
  } else {
    drop = async () => {};
    await withDatabase((db) => migrateToLatest(db));
  }
});
afterAll(async () => {
  await drop();
});

describe('audit:verify as a separate process with the server environment', () => {
  it('passes on an intact chain with two instances checkpointing, then catches the newest entries removed', async () => {
    const silent = pino({ level: 'silent' });
    let head = 0;
    await withDatabase(async (db) => {
      await appendRows(db, 3);
      await writeCheckpoint(db, { dir: checkpointDir(dataDir), instanceId: 'web-1', logger: silent });
      await appendRows(db, 2);
      head = (await writeCheckpoint(db, { dir: checkpointDir(dataDir), instanceId: 'web-2', logger: silent }))!.seq;
    });
    const ok = await verify();
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('audit chain OK (5 rows)');
    expect(ok.stdout).toContain('checkpoints OK (2 from 2 instances');

    await withDatabase((db) => asDatabaseOwner(db, () => sql`delete from audit_log where seq = ${head}`.execute(db)));
    const broken = await verify();
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`audit chain BROKEN at seq ${head} (a checkpoint records later rows than the database holds: the newest entries were removed, checkpoint of instance web-2)`);
  });
});
