import { createServer } from 'node:http';
import { loadConfig, ConfigError } from './config.js';
import { createLogger } from './http/logging.js';
import { openDatabase } from './db/index.js';
import { migrateToLatest } from './db/migrator.js';
import { createApp } from './app.js';
import { cryptoReady, formatKdfCost, Kdf } from './crypto/index.js';
import { ensureInstallation } from './installation/repository.js';
import { startMaintenance } from './maintenance/runner.js';
import { MAINTENANCE_TASKS } from './maintenance/tasks.js';

/** Entry point: config → database → migrations → listen → graceful shutdown. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  await cryptoReady();
  const database = await openDatabase(config.database);
  if (config.migrateOnStart) await migrateToLatest(database.db);
  await ensureInstallation(database.db, formatKdfCost(config.argon2), config.secrets.receiptPepper);

  const app = createApp({ config, database, logger, kdf: new Kdf(config.argon2) });
  const server = createServer(app);
  server.headersTimeout = 60_000;
  server.requestTimeout = 10 * 60_000; // large attachments on slow phone connections

  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ host: config.host, port, database: database.driver }, 'ParcelGuard listening');

  const stopMaintenance = startMaintenance(database.db, MAINTENANCE_TASKS, logger);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    stopMaintenance();
    // Stop accepting, let in-flight requests finish, then close the database.
    server.close(async () => {
      await database.close().catch(() => {});
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      logger.warn('drain timed out; forcing exit');
      server.closeAllConnections();
      process.exit(1);
    }, 15_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`ParcelGuard failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
