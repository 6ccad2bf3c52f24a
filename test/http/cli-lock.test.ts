import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../faults/support/server-process.js';
import { COMMANDS } from '../../server/cli/commands/index.js';

/**
 * The CLI against the embedded database: it must refuse while a running server holds the data
 * directory (two PGlite processes on one directory lose each other's writes), and the server must
 * stay healthy. Always on PGlite: the lock concerns the embedded database only.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

type Run = { code: number; stdout: string; stderr: string };
function cli(env: Record<string, string>, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'server/cli/index.ts', ...args],
      {
        cwd: ROOT,
        timeout: 120_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), LOG_LEVEL: 'warn', ARGON2_MEMORY_KIB: '1024', ARGON2_ITERATIONS: '1', ...env },
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let dataDir = '';
let env: Record<string, string> = {};
let server: ServerProcess | undefined;
const lockFile = () => path.join(dataDir, 'pglite.lock');

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'parcelguard-lock-'));
  env = { DATA_DIR: dataDir, PUBLIC_URL: 'https://tips.example.cn', STAFF_URL: 'https://staff.example.cn:8443' };
  // Migrate and create the installation with the CLI first (no server yet: it may run).
  const first = await cli(env, ['staff:create', '--username', 'lock-admin', '--role', 'admin']);
  expect(first.code, first.stderr).toBe(0);
  // Links use STAFF_URL from the configuration, never a guessed port.
  expect(first.stdout).toContain('https://staff.example.cn:8443/staff/enrol/');
  expect(existsSync(lockFile())).toBe(false); // released when the command ended
  server = await spawnServer({ ...env, DATABASE_URL: '' });
}, 180_000);
afterAll(async () => {
  await server?.stop();
});

describe('the CLI and a running server on the embedded database', () => {
  it('holds a lock naming the server process while it runs', () => {
    const lock = JSON.parse(readFileSync(lockFile(), 'utf8')) as { pid: number; holder: string };
    expect(lock).toMatchObject({ pid: server!.pid, holder: 'server' });
  });

  it('refuses every database command with a clear message and a non-zero exit, and the server stays healthy', async () => {
    for (const args of [['escrow:init', '--out', path.join(dataDir, 'escrow.key')], ['staff:list'], ['org:create', '--name', '顺丰速运']]) {
      const res = await cli(env, args);
      expect(res.code).toBe(75);
      expect(res.stderr).toContain('in use by a running server');
      expect(res.stderr).toContain(`pid ${server!.pid}`);
      expect(res.stdout).toBe('');
    }
    // No key file was left behind for a key the database does not hold.
    expect(existsSync(path.join(dataDir, 'escrow.key'))).toBe(false);
    const health = await fetch(`${server!.staffBaseUrl}/healthz`);
    expect(health.status).toBe(200);
    const login = await fetch(`${server!.staffBaseUrl}/staff/login`);
    expect(login.status).toBe(200);
    // Help needs no database and still works.
    expect((await cli(env, ['--help'])).code).toBe(0);
  });

  it('runs again once the server stopped; a lock left by a dead process is taken over', async () => {
    await server!.stop();
    server = undefined;
    expect(existsSync(lockFile())).toBe(false); // removed on clean exit

    // A crashed server leaves its lock: a pid that no longer exists.
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    writeFileSync(lockFile(), JSON.stringify({ pid: dead, holder: 'server', since: new Date().toISOString() }));
    const key = path.join(dataDir, 'escrow.key');
    const res = await cli(env, ['escrow:init', '--out', key]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Escrow public key installed \(sha256:[0-9a-f]{32}\)/);
    expect(readFileSync(key, 'utf8')).toContain('# installation: https://tips.example.cn');
    expect(existsSync(lockFile())).toBe(false);

    // The key really is in the database the server reads: a second init is refused and writes no file.
    const again = await cli(env, ['escrow:init', '--out', path.join(dataDir, 'second.key')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(existsSync(path.join(dataDir, 'second.key'))).toBe(false);

    // Links to the public site use PUBLIC_URL.
    await cli(env, ['org:create', '--name', '顺丰速运']);
    const outlet = await cli(env, ['outlet:create', '--org', '顺丰速运', '--name', '天河网点', '--province', 'GD', '--city', '广州']);
    expect(outlet.code, outlet.stderr).toBe(0);
    const id = /[0-9a-f-]{36}/.exec(outlet.stdout)![0];
    const invite = await cli(env, ['invite:create', '--outlet', id]);
    expect(invite.stdout).toContain('https://tips.example.cn/employee/join');
  }, 240_000);

  it('a server does not start on an embedded database another live process holds', async () => {
    writeFileSync(lockFile(), JSON.stringify({ pid: process.pid, holder: 'cli', since: new Date().toISOString() }));
    try {
      await expect(spawnServer({ ...env, DATABASE_URL: '' })).rejects.toThrow(/"code":75[\s\S]*in use by a running CLI command/);
    } finally {
      writeFileSync(lockFile(), ''); // unreadable = stale for the next one
    }
  }, 120_000);
});

describe('the README', () => {
  it('lists every CLI command in its table', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = readme.split('\n').filter((l) => l.startsWith('| `npm run cli -- '));
    for (const c of COMMANDS) expect(table.some((row) => row.includes(c.name)), c.name).toBe(true);
  });
});
