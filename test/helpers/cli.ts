import type { TestApp } from './app.js';
import { runCommand, type CliContext } from '../../server/cli/commands/index.js';

/** Runs one CLI command in-process against the test app's database; returns its exit code and output. */
export async function runCli(t: TestApp, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = { db: t.database.db, config: t.config, kdf: t.ctx.kdf, out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await runCommand(ctx, argv);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
