import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The embedded database (PGlite) takes one process at a time: two processes opening the same data
 * directory each keep their own view and overwrite the other's writes. A lock file created with
 * O_EXCL next to the data directory names the process that holds it; the server holds it while it
 * runs and the CLI for the length of one command. A lock left by a process that died (SIGKILL,
 * power loss) is recognised with kill(pid, 0) and taken over. PostgreSQL needs no such lock.
 */

export type LockHolder = 'server' | 'cli' | 'demo';

export type LockInfo = { readonly pid: number; readonly holder: LockHolder; readonly since: string };

export class EmbeddedDatabaseLockedError extends Error {
  override name = 'EmbeddedDatabaseLockedError';
  constructor(
    readonly lockFile: string,
    readonly held: LockInfo,
  ) {
    super(
      `the embedded database is in use by a running ${held.holder === 'cli' ? 'CLI command' : held.holder} (pid ${held.pid}, since ${held.since}); ` +
        `stop it first (the lock file is ${lockFile}). Two processes on one embedded database would corrupt it. ` +
        'To administer while the server runs, use PostgreSQL (DATABASE_URL).',
    );
  }
}

export type EmbeddedLock = {
  readonly file: string;
  /** Removes the lock file if it is still ours. Safe to call more than once. */
  release(): void;
};

/** The lock file of an embedded data directory: a sibling, so it never lands inside PGlite's files. */
export function lockFileFor(pgliteDataDir: string): string {
  return `${pgliteDataDir}.lock`;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user. Still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof parsed.pid !== 'number') return null;
    return { pid: parsed.pid, holder: parsed.holder ?? 'server', since: parsed.since ?? '?' };
  } catch {
    return null;
  }
}

/**
 * Takes the lock or throws EmbeddedDatabaseLockedError naming the live holder. A lock file whose
 * process is gone (or that cannot be read, e.g. half-written by a crash) is stale and replaced.
 */
export function acquireEmbeddedLock(pgliteDataDir: string, holder: LockHolder): EmbeddedLock {
  const file = lockFileFor(pgliteDataDir);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const mine: LockInfo = { pid: process.pid, holder, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = readLock(file);
      if (held && held.pid !== process.pid && isAlive(held.pid)) throw new EmbeddedDatabaseLockedError(file, held);
      // Stale: its process is gone. Remove it and try again (another starter may win the race).
      try {
        unlinkSync(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify(mine)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const current = readLock(file);
      if (current?.pid !== process.pid) return;
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    };
    // A process that ends without its own clean-up (process.exit after an error) still frees it.
    process.once('exit', release);
    return { file, release };
  }
  throw new Error(`cannot take the embedded database lock ${file}: it keeps reappearing`);
}
