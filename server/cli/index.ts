import { loadConfig, ConfigError } from '../core/config.js';
import { openDatabase, type Database } from '../core/db/index.js';
import { acquireEmbeddedLock, EmbeddedDatabaseLockedError, type EmbeddedLock } from '../core/db/lock.js';
import { migrateToLatest } from '../core/db/migrator.js';
import { cryptoReady, formatKdfCost, Kdf } from '../core/crypto/index.js';
import { ensureInstallation } from '../core/installation/repository.js';
import { auditKeysFrom, withAuditKeys } from '../core/audit/keys.js';
import { EXIT, findCommand, isHelp, runCommand, usage, type CliContext } from './commands/index.js';

/**
 * Administration from the server's shell: `npm run cli -- <command> [options]`.
 * Opens the same database as the server (DATABASE_URL or the embedded one in DATA_DIR).
 * With embedded PGlite, stop the server first: the data directory takes one process at a time, and
 * the command refuses (exit 75) while a running server holds its lock.
 */
async function main(argv: string[]): Promise<number> {
  if (isHelp(argv)) {
    process.stdout.write(`${usage()}\n`);
    return EXIT.ok;
  }
  if (!findCommand(argv[0]) || argv.includes('--help') || argv.includes('-h')) {
    // Unknown commands and per-command help need no database.
    return runCommand({ out: print, err: printErr } as CliContext, argv);
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      printErr(err.message);
      return 78; // EX_CONFIG
    }
    throw err;
  }
  await cryptoReady();
  let database: Database | undefined;
  let lock: EmbeddedLock | null = null;
  if (config.database.driver === 'pglite') {
    try {
      lock = acquireEmbeddedLock(config.database.dataDir, 'cli');
    } catch (err) {
      if (!(err instanceof EmbeddedDatabaseLockedError)) throw err;
      printErr(`refusing to run: ${err.message}`);
      return EXIT.tempFail;
    }
  }
  try {
    database = await openDatabase(config.database);
    if (config.migrateOnStart) await migrateToLatest(database.db);
    await ensureInstallation(database.db, formatKdfCost(config.argon2), config.secrets.receiptPepper);
    const db = withAuditKeys(database.db, auditKeysFrom(config.secrets));
    const ctx: CliContext = { db, config, kdf: new Kdf(config.argon2), out: print, err: printErr };
    return await runCommand(ctx, argv);
  } finally {
    await database?.close();
    lock?.release();
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function printErr(line: string): void {
  process.stderr.write(`${line}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Never the stack of a database error: it can quote values. The message is enough to act on.
    printErr(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = EXIT.failure;
  },
);
