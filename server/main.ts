import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { loadConfigOrExit, type Config, type Site } from './core/config.js';
import { createLogger } from './core/logger.js';
import { openDatabase } from './core/db/index.js';
import { acquireEmbeddedLock, EmbeddedDatabaseLockedError, type EmbeddedLock } from './core/db/lock.js';
import { migrateToLatest } from './core/db/migrator.js';
import { cryptoReady, formatKdfCost, Kdf } from './core/crypto/index.js';
import { ensureInstallation } from './core/installation/repository.js';
import { issueSetupUrl } from './core/setup/service.js';
import { auditKeysFrom, withAuditKeys } from './core/audit/keys.js';
import { checkpointDir, startAuditCheckpoints } from './core/audit/checkpoints.js';
import { startMaintenance } from './core/maintenance/runner.js';
import { MAINTENANCE_TASKS } from './core/maintenance/tasks.js';
import { startRetention } from './core/retention/run.js';
import { startScheduledAuditVerify } from './core/audit/scheduled.js';
import { startAlertWorker } from './core/alerts/worker.js';
import type { AppContext } from './core/context.js';
import { ImageJobs } from './core/images/jobs.js';
import { startRollupRefresh } from './core/stats/rollup.js';
import { createPublicApp } from './public/app.js';
import { createStaffApp } from './staff/app.js';

/**
 * Entry point: config → database → migrations → two listeners → graceful shutdown.
 * The public site and the staff workspace are separate apps on separate addresses, as SecureDrop
 * separates its source and journalist interfaces: the staff side is never on the public one.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  await cryptoReady();
  const lock = lockEmbeddedDatabase(config.database);
  const opened = await openDatabase(config.database);
  // The audit chain's keys come from the secrets file and travel with the database handle.
  const database = { ...opened, db: withAuditKeys(opened.db, auditKeysFrom(config.secrets)) };
  if (config.migrateOnStart) await migrateToLatest(database.db);
  await ensureInstallation(database.db, formatKdfCost(config.argon2), config.secrets.receiptPepper);

  const ctx: AppContext = { config, database, logger, kdf: new Kdf(config.argon2), images: new ImageJobs(config.images) };
  const servers = [
    await listen(createPublicApp(ctx), config.public, 'public', logger),
    await listen(createStaffApp(ctx), config.staff, 'staff', logger),
  ];
  // First start with no staff: one line with the one-time setup URL (server/core/setup).
  const setupUrl = await issueSetupUrl(ctx);
  if (setupUrl) logger.warn({ setupUrl }, `No staff account yet. Open the one-time setup page: ${setupUrl}`);
  const stopMaintenance = startMaintenance(database.db, MAINTENANCE_TASKS, logger, config.maintenanceIntervalMs);
  const stopRetention = startRetention(ctx);
  // The statistics roll-up kept up to date in the background (a full build after an upgrade).
  const stopRollupRefresh = startRollupRefresh(database.db, logger);
  // The audit chain verified once a day (one instance); a failure alerts the administrators.
  const stopAuditVerify = startScheduledAuditVerify(ctx);
  // Alerts: delivers the outbox every ALERT_POLL_MS and runs the deadline scan (once across instances).
  const alerts = startAlertWorker(ctx);
  const checkpoints = startAuditCheckpoints(database.db, {
    dir: checkpointDir(config.dataDir),
    instanceId: config.instanceId,
    intervalMs: config.auditCheckpointSeconds * 1000,
    logger,
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    stopMaintenance();
    stopRetention();
    stopRollupRefresh();
    stopAuditVerify();
    // Stop accepting, let in-flight requests finish, then close the database.
    const drained = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const server of servers) server.closeIdleConnections();
    void Promise.all(drained).then(async () => {
      // The last checkpoint records the head every request wrote, before the database goes.
      await checkpoints.stop();
      await alerts.stop().catch(() => {});
      await database.close().catch(() => {});
      lock?.release();
      logger.info('stopped');
      process.exit(0);
    });
    setTimeout(() => {
      logger.warn('drain timed out; forcing exit');
      for (const server of servers) server.closeAllConnections();
      process.exit(1);
    }, 15_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** The embedded database takes one process at a time: the server holds its lock for as long as it runs. */
function lockEmbeddedDatabase(database: Config['database']): EmbeddedLock | null {
  if (database.driver !== 'pglite') return null;
  try {
    return acquireEmbeddedLock(database.dataDir, 'server');
  } catch (err) {
    if (!(err instanceof EmbeddedDatabaseLockedError)) throw err;
    process.stderr.write(`ParcelGuard cannot start: ${err.message}\n`);
    process.exit(75); // EX_TEMPFAIL
  }
}

async function listen(app: Express, site: Site, name: 'public' | 'staff', logger: Logger): Promise<Server> {
  const server = createServer(app);
  server.headersTimeout = 60_000;
  server.requestTimeout = 10 * 60_000; // large attachments on slow phone connections
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(site.port, site.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : site.port;
  logger.info({ app: name, host: site.host, port, url: site.url.origin }, `ParcelGuard ${name} app listening`);
  return server;
}

main().catch((err: unknown) => {
  process.stderr.write(`ParcelGuard failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
