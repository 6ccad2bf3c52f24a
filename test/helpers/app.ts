import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { loadConfig, type Config } from '../../server/core/config.js';
import { createLogger } from '../../server/core/logger.js';
import { createPublicApp } from '../../server/public/app.js';
import { createStaffApp } from '../../server/staff/app.js';
import type { AppContext } from '../../server/core/context.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { cryptoReady, formatKdfCost, Kdf } from '../../server/core/crypto/index.js';
import { ImageJobs } from '../../server/core/images/jobs.js';
import { ensureInstallation } from '../../server/core/installation/repository.js';
import { auditKeysFrom, withAuditKeys } from '../../server/core/audit/keys.js';

export type TestApp = {
  /** The public reporting site, as server/main.ts serves it on PORT. */
  publicApp: Express;
  /** The staff workspace, as server/main.ts serves it on STAFF_PORT. */
  staffApp: Express;
  ctx: AppContext;
  config: Config;
  database: TestDatabase;
  /** Every log line the app wrote, raw JSON text. */
  logs: string[];
  close(): Promise<void>;
};

/** Test configuration: a temp DATA_DIR and cheap argon2id (real argon2id, lower cost; never a stub). */
export function testConfig(env: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parcelguard-test-'));
  return loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_ITERATIONS: '1',
    ...env,
  });
}

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = testConfig(env);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  await cryptoReady();
  const created = await createTestDatabase();
  // As main.ts: the audit chain keys of this app's secrets file travel with its database handle.
  const database: TestDatabase = { ...created, db: withAuditKeys(created.db, auditKeysFrom(config.secrets)) };
  await ensureInstallation(database.db, formatKdfCost(config.argon2), config.secrets.receiptPepper);
  const ctx: AppContext = { config, database, logger, kdf: new Kdf(config.argon2), images: new ImageJobs(config.images) };
  return { publicApp: createPublicApp(ctx), staffApp: createStaffApp(ctx), ctx, config, database, logs, close: () => database.drop() };
}
