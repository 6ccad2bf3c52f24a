import { resolve } from 'node:path';
import { loadConfigOrExit } from './core/config.js';
import { createLogger } from './core/logger.js';
import { openDatabase } from './core/db/index.js';
import { acquireEmbeddedLock, EmbeddedDatabaseLockedError } from './core/db/lock.js';
import { migrateToLatest } from './core/db/migrator.js';
import { cryptoReady, formatKdfCost, Kdf } from './core/crypto/index.js';
import { ensureInstallation } from './core/installation/repository.js';
import { auditKeysFrom, withAuditKeys } from './core/audit/keys.js';
import { ImageJobs } from './core/images/jobs.js';
import type { AppContext } from './core/context.js';
import { demoAccountLine, NotADemoDatabaseError, seedDemo } from './core/demo/seed.js';

/**
 * `npm run demo`: the portal on its own embedded database (DEMO_DATA_DIR, default ./demo-data),
 * filled once with invented zh-CN data, then started as `npm start` would, with a demo banner.
 * DATABASE_URL is ignored on purpose: the demo never touches a real database.
 */
async function demo(): Promise<void> {
  const dataDir = resolve(process.env.DEMO_DATA_DIR || './demo-data');
  delete process.env.DATABASE_URL;
  delete process.env.SECRETS_FILE;
  process.env.DATA_DIR = dataDir;
  process.env.DEMO = '1';
  // Invented accounts: a cheaper argon2id keeps seeding and sign-in quick on a laptop.
  process.env.ARGON2_MEMORY_KIB ||= '1024';
  process.env.ARGON2_ITERATIONS ||= '1';
  const tips = Number(process.env.DEMO_TIPS || 320);

  const config = loadConfigOrExit();
  if (config.database.driver !== 'pglite') throw new Error('the demo runs on the embedded database only');
  let lock;
  try {
    lock = acquireEmbeddedLock(config.database.dataDir, 'demo');
  } catch (err) {
    if (!(err instanceof EmbeddedDatabaseLockedError)) throw err;
    process.stderr.write(`demo: ${err.message}\n`);
    process.exit(75);
  }
  await cryptoReady();
  const opened = await openDatabase(config.database);
  const database = { ...opened, db: withAuditKeys(opened.db, auditKeysFrom(config.secrets)) };
  const logger = createLogger('warn');
  try {
    await migrateToLatest(database.db);
    await ensureInstallation(database.db, formatKdfCost(config.argon2), config.secrets.receiptPepper);
    const ctx: AppContext = { config, database, logger, kdf: new Kdf(config.argon2), images: new ImageJobs(config.images) };
    const started = Date.now();
    process.stdout.write(`demo: data in ${dataDir}\n`);
    const result = await seedDemo(ctx, {
      tips,
      onProgress: (n) => {
        if (n % 50 === 0) process.stdout.write(`demo: ${n}/${tips} tips filed\n`);
      },
    });
    if (!result.alreadySeeded) process.stdout.write(`demo: ${result.tips} tips filed in ${Math.round((Date.now() - started) / 1000)} s\n`);
    for (const account of result.accounts) process.stdout.write(`${demoAccountLine(account)}\n`);
    process.stdout.write(`demo: staff workspace ${new URL('/staff/login', config.staff.url).href} · public site ${config.public.url.href}\n`);
  } catch (err) {
    if (err instanceof NotADemoDatabaseError) {
      process.stderr.write(`demo: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  } finally {
    await database.close();
    lock.release();
  }
  await import('./main.js');
}

demo().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
