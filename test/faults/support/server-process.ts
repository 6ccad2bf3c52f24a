import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../helpers/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export type ServerProcess = {
  /** The public site. */
  readonly baseUrl: string;
  /** The staff workspace, on its own listener. */
  readonly staffBaseUrl: string;
  readonly pid: number;
  readonly dataDir: string;
  /** Raw bytes the process wrote to stdout and stderr (logs), for the leak test. */
  output(): Buffer;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Graceful stop (SIGTERM, as an init system would), waiting for the exit. */
  stop(): Promise<void>;
};

/**
 * The real server as a separate OS process, from the sources (tsx running server/main.ts) or,
 * with `compiled`, from dist/ as `npm start` runs it, so a fault test can SIGKILL it and the leak test can read everything it wrote.
 * It listens on two free ports picked here (or env.PORT and env.STAFF_PORT, to restart on the same addresses).
 */
export async function spawnServer(env: Record<string, string>, options: { compiled?: boolean } = {}): Promise<ServerProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const staffPort = env.STAFF_PORT ? Number(env.STAFF_PORT) : await freePort();
  const dataDir = env.DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'parcelguard-proc-'));
  // Compiled: exactly what `npm start` runs in production (dist/, built first if stale), for
  // figures such as idle memory that a TypeScript loader would distort.
  if (options.compiled) execFileSync(process.execPath, ['server/cli/ensure-build.mjs'], { cwd: ROOT, stdio: 'ignore' });
  const command = options.compiled ? ['dist/server/main.js'] : ['--import', 'tsx', 'server/main.ts'];
  // npm start's glibc setting (package.json; docs/operations.md, "Memory"), for the same reason.
  const mmapThreshold = options.compiled ? { MALLOC_MMAP_THRESHOLD_: startMmapThreshold() } : {};
  const child: ChildProcess = spawn(process.execPath, command, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? tmpdir(),
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_ITERATIONS: '1',
      ...mmapThreshold,
      ...env,
      DATA_DIR: dataDir,
      PORT: String(port),
      STAFF_PORT: String(staffPort),
    },
  });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  child.stderr!.on('data', (c: Buffer) => chunks.push(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const output = () => Buffer.concat(chunks);

  // Ready when /healthz answers at all (503 is fine: the database may be down on purpose).
  const deadline = Date.now() + 60_000;
  let exitedEarly: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  void exited.then((e) => (exitedEarly = e));
  for (;;) {
    if (exitedEarly) throw new Error(`server exited (${JSON.stringify(exitedEarly)}) before listening:\n${output().toString()}`);
    if (Date.now() > deadline) throw new Error(`server did not start in 60 s:\n${output().toString()}`);
    const answers = (p: number) =>
      fetch(`http://127.0.0.1:${p}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
        () => true,
        () => false,
      );
    const ok = (await answers(port)) && (await answers(staffPort));
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    staffBaseUrl: `http://127.0.0.1:${staffPort}`,
    pid: child.pid!,
    dataDir,
    output,
    exited,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The glibc mmap threshold `npm start` sets (package.json scripts.start), so the compiled server runs as it would there. */
function startMmapThreshold(): string {
  const start = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start ?? '';
  const found = /MALLOC_MMAP_THRESHOLD_=\$\{MALLOC_MMAP_THRESHOLD_:-(\d+)\}/.exec(start);
  if (!found) throw new Error('package.json scripts.start no longer sets MALLOC_MMAP_THRESHOLD_');
  return found[1]!;
}
