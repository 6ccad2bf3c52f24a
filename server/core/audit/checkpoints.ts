import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import { constantTimeEqual, fromHex, hmacSha256, toHex, utf8 } from '../crypto/index.js';
import { canonicalJson } from './chain.js';
import { auditHead } from './repository.js';
import { auditKeysOf } from './keys.js';

/**
 * Audit checkpoints: the chain's head (sequence number and hash), MACed with a key from the secrets
 * file and appended to a file outside the database, one file per instance. The keyed chain stops a
 * database writer from editing or inventing rows; only a record kept elsewhere shows that the
 * newest rows were deleted. docs/crypto.md §8 gives the format.
 */
export const CHECKPOINT_FORMAT = 'parcelguard-audit-checkpoint/1';
export const CHECKPOINT_DIR_NAME = 'audit-checkpoints';
export const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type Checkpoint = {
  readonly instance: string;
  readonly seq: number;
  /** Hex of the head row's hash. */
  readonly head: string;
  readonly chainVersion: number;
  /** ISO 8601 UTC, milliseconds. */
  readonly at: string;
};

export function checkpointDir(dataDir: string): string {
  return join(dataDir, CHECKPOINT_DIR_NAME);
}

function checkpointMac(key: Uint8Array, cp: Checkpoint): Uint8Array {
  const { instance, seq, head, chainVersion, at } = cp;
  return hmacSha256(key, utf8(canonicalJson({ format: CHECKPOINT_FORMAT, instance, seq, head, chainVersion, at })));
}

/** One line of a checkpoint file: canonical JSON of the fields, the format name and the MAC. */
export function checkpointLine(key: Uint8Array, cp: Checkpoint): string {
  const { instance, seq, head, chainVersion, at } = cp;
  return canonicalJson({ format: CHECKPOINT_FORMAT, instance, seq, head, chainVersion, at, mac: toHex(checkpointMac(key, cp)) });
}

/** The checkpoint a line holds, or null unless it is well formed and its MAC verifies. */
export function parseCheckpointLine(key: Uint8Array, line: string): Checkpoint | null {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  const { format, instance, seq, head, chainVersion, at, mac } = value ?? {};
  if (format !== CHECKPOINT_FORMAT || typeof instance !== 'string' || !Number.isSafeInteger(seq) || typeof head !== 'string'
    || !/^[0-9a-f]{64}$/.test(head) || !Number.isSafeInteger(chainVersion) || typeof at !== 'string'
    || typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) {
    return null;
  }
  const cp: Checkpoint = { instance, seq: seq as number, head, chainVersion: chainVersion as number, at };
  return constantTimeEqual(checkpointMac(key, cp), fromHex(mac)) ? cp : null;
}

export type CheckpointProblem = { readonly file: string; readonly line: number; readonly torn: boolean };

/**
 * Every checkpoint in `dir` (all `*.jsonl` files). A line that fails is a problem; only an
 * unterminated last line (a crash mid-write) is merely `torn`.
 */
export async function readCheckpoints(dir: string, key: Uint8Array): Promise<{ checkpoints: Checkpoint[]; problems: CheckpointProblem[]; files: number }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: [], problems: [], files: 0 };
    throw err;
  }
  const checkpoints: Checkpoint[] = [];
  const problems: CheckpointProblem[] = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8');
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line === '') return;
      const cp = parseCheckpointLine(key, line);
      if (cp) checkpoints.push(cp);
      else problems.push({ file: name, line: i + 1, torn: i === lines.length - 1 });
    });
  }
  return { checkpoints, problems, files: names.length };
}

/** Appends one line and flushes it to disk before returning. */
async function appendLine(path: string, line: string): Promise<void> {
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.write(`${line}\n`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

export type CheckpointWriterOptions = { readonly dir: string; readonly instanceId: string; readonly logger: Logger };

/** Records the current head in this instance's file and the log; null while the chain is empty. */
export async function writeCheckpoint(db: Kysely<DB>, options: CheckpointWriterOptions): Promise<Checkpoint | null> {
  if (!INSTANCE_ID.test(options.instanceId)) throw new RangeError('writeCheckpoint: invalid instance id');
  const head = await auditHead(db);
  if (!head) return null;
  const cp: Checkpoint = {
    instance: options.instanceId,
    seq: Number(head.seq),
    head: toHex(new Uint8Array(head.hash)),
    chainVersion: head.chain_version,
    at: new Date().toISOString(),
  };
  const line = checkpointLine(auditKeysOf(db).checkpoint, cp);
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  await appendLine(join(options.dir, `${options.instanceId}.jsonl`), line);
  // The log line carries the same signed record, for log shipping and the auditors' alerts.
  options.logger.info({ auditCheckpoint: JSON.parse(line) as unknown }, 'audit checkpoint');
  return cp;
}

/**
 * Writes a checkpoint now, then every `intervalMs` whenever the head has moved, and once more from
 * stop() (call it at shutdown, before the database closes). Failures are logged, never thrown:
 * the portal keeps working, and audit:verify reports how old the newest checkpoint is.
 */
export function startAuditCheckpoints(db: Kysely<DB>, options: CheckpointWriterOptions & { readonly intervalMs: number }) {
  let last: Checkpoint | null = null;
  let running: Promise<void> = Promise.resolve();
  const tick = (always: boolean) => {
    running = running.then(async () => {
      try {
        const head = await auditHead(db);
        if (!head || (!always && last && last.seq === Number(head.seq))) return;
        last = (await writeCheckpoint(db, options)) ?? last;
      } catch (err) {
        options.logger.error({ err: (err as Error).message }, 'audit checkpoint failed');
      }
    });
    return running;
  };
  void tick(true);
  const timer = setInterval(() => void tick(false), options.intervalMs);
  timer.unref();
  return {
    /** Resolves once the final checkpoint is on disk. */
    async stop(): Promise<void> {
      clearInterval(timer);
      await tick(true);
    },
  };
}
