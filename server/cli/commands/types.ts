import type { Kysely } from 'kysely';
import type { ParseArgsConfig } from 'node:util';
import type { DB } from '../../core/db/schema.js';
import type { Config } from '../../core/config.js';
import type { Kdf } from '../../core/crypto/index.js';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseEscrowKeyFile } from '../../core/escrow/service.js';

/** What a command runs against. Tests build one on a test database with captured output. */
export type CliContext = {
  readonly db: Kysely<DB>;
  readonly config: Config;
  readonly kdf: Kdf;
  /** Standard output, one line per call. */
  out(line: string): void;
  /** Standard error, one line per call. */
  err(line: string): void;
};

export type CliOptions = NonNullable<ParseArgsConfig['options']>;
export type CliValues = Record<string, string | boolean | undefined>;

export type CliCommand = {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: CliOptions;
  /** Returns the process exit code. */
  run(ctx: CliContext, values: CliValues): Promise<number>;
};

/** Exit codes after sysexits.h, so scripts and monitoring can tell usage errors from failures. */
export const EXIT = { ok: 0, failure: 1, usage: 64, dataError: 65, noInput: 66, cantCreate: 73, tempFail: 75 } as const;

export function depsOf(ctx: CliContext) {
  return { db: ctx.db, kdf: ctx.kdf, config: ctx.config };
}

/** The trimmed `--username` value, or null after printing the usage error. */
export function requiredUsername(ctx: CliContext, values: CliValues): string | null {
  if (typeof values.username !== 'string' || !values.username.trim()) {
    ctx.err('--username is required');
    return null;
  }
  return values.username.trim();
}

/**
 * Reads an offline private key file (the escrow key, a receiving body's key). Returns the key, or
 * the exit code after saying why not; `what` names the key in that message.
 */
export async function readPrivateKeyFile(ctx: CliContext, keyPath: string, what: string): Promise<Uint8Array | number> {
  let text: string;
  try {
    text = await readFile(resolve(keyPath), 'utf8');
  } catch (err) {
    ctx.err(`cannot read ${keyPath}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    return EXIT.noInput;
  }
  const privateKey = parseEscrowKeyFile(text);
  if (!privateKey) {
    ctx.err(`${keyPath} does not hold ${what}`);
    return EXIT.dataError;
  }
  return privateKey;
}
