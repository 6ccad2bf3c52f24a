import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { freePort } from '../../helpers/ports.js';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The newest PostgreSQL major version installed the Debian way (/etc/postgresql/<version>). */
export function postgresVersion(): string | null {
  if (!existsSync('/etc/postgresql') || !existsSync('/usr/bin/pg_createcluster')) return null;
  const versions = readdirSync('/etc/postgresql').filter((v) => /^\d+$/.test(v));
  return versions.sort((a, b) => Number(a) - Number(b)).at(-1) ?? null;
}


/**
 * A private PostgreSQL cluster for one fault test. Restarting the shared server on 5432 would cut
 * every other client of it (other test files, other developers' runs), so the test that restarts
 * PostgreSQL gets a cluster of its own, created with Debian's pg_createcluster and restarted with
 * `pg_ctlcluster --skip-systemctl-redirect`, exactly as an operator would.
 */
export class PrivateCluster {
  private constructor(
    readonly version: string,
    readonly name: string,
    readonly port: number,
  ) {}

  static async create(): Promise<PrivateCluster> {
    const version = postgresVersion();
    if (!version) throw new Error('pg_createcluster / /etc/postgresql not found');
    await dropStaleClusters(version);
    const name = `pgfault_${randomBytes(4).toString('hex')}`;
    const port = await freePort();
    await run('pg_createcluster', [version, name, '-p', String(port), '--', '--auth=trust'], { timeout: 120_000 });
    const cluster = new PrivateCluster(version, name, port);
    await cluster.ctl('start');
    await cluster.waitReady();
    return cluster;
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async createDatabase(db: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.adminUrl });
    await client.connect();
    try {
      await client.query(`create database ${db}`);
    } finally {
      await client.end();
    }
    return `postgres://postgres@127.0.0.1:${this.port}/${db}`;
  }

  async ctl(action: 'start' | 'stop' | 'restart', mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const args = ['--skip-systemctl-redirect', this.version, this.name, action];
    if (action !== 'start') args.push('-m', mode);
    await run('pg_ctlcluster', args, { timeout: 120_000 });
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const client = new pg.Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 1_000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('select 1');
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => {});
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async drop(): Promise<void> {
    await run('pg_dropcluster', ['--stop', this.version, this.name], { timeout: 120_000 }).catch(() => {});
  }
}

/**
 * A run killed before its afterAll leaves its cluster running. Clusters of this kind older than an
 * hour (no fault test lasts that long) are dropped before a new one is made.
 */
async function dropStaleClusters(version: string): Promise<void> {
  const dir = `/etc/postgresql/${version}`;
  for (const name of readdirSync(dir).filter((n) => n.startsWith('pgfault_'))) {
    if (Date.now() - statSync(`${dir}/${name}`).mtimeMs < 3600_000) continue;
    await run('pg_dropcluster', ['--stop', version, name], { timeout: 120_000 }).catch(() => {});
  }
}
