/**
 * Two compiled app instances on one PostgreSQL with one secrets file, behind Debian's haproxy
 * (round robin, no sticky sessions), as docs/operations.md deploys them. Shows that a staff session
 * works whichever instance answers, that rate limits count as one, that a scheduled job runs once
 * per period, and that a rolling restart under traffic loses no submission.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { requirePostgres } from '../faults/support/gate.js';
import { spawnServer, type ServerProcess } from '../faults/support/server-process.js';
import { cli, enrolStaff, loginStaff, submitPublicReport, type StaffAccount } from '../faults/support/flows.js';
import { WebSession } from '../faults/support/web-session.js';
import { freePort } from '../helpers/ports.js';
import { LOGIN_LIMIT } from '../../server/core/followup/service.js';
import { startHaproxy, type Balancer } from './support/haproxy.js';

const enabled = requirePostgres('scale-out behind haproxy');
const INTERVAL_SECONDS = 2;

type Instance = { name: string; env: Record<string, string>; server: ServerProcess; logs: string[] };

let adminUrl = '';
let dbName = '';
let databaseUrl = '';
let balancer: Balancer | undefined;
let staff: StaffAccount;
const instances: Instance[] = [];

async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult<T>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query<T>(text, params);
  } finally {
    await client.end();
  }
}

async function start(instance: Instance): Promise<void> {
  instance.server = await spawnServer(instance.env, { compiled: true });
}

/** Stops an instance gracefully (SIGTERM) and keeps what it logged. */
async function stop(instance: Instance): Promise<void> {
  await instance.server.stop();
  instance.logs.push(instance.server.output().toString());
}

const logsOf = (instance: Instance) => [...instance.logs, instance.server.output().toString()].join('\n');
const logLines = (instance: Instance) =>
  logsOf(instance)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  if (!enabled) return;
  adminUrl = process.env.DATABASE_URL!;
  dbName = `scale_${randomBytes(4).toString('hex')}`;
  await sql(adminUrl, `create database ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  databaseUrl = url.toString();
  const dir = mkdtempSync(path.join(tmpdir(), 'parcelguard-scale-'));
  // One secrets file for the installation; each instance has its own data folder.
  const shared = {
    DATABASE_URL: databaseUrl,
    SECRETS_FILE: path.join(dir, 'secrets.json'),
    TRUST_PROXY: 'loopback',
    MAINTENANCE_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
  };
  const link = /\S+\/staff\/enrol\/\S+/.exec(await cli({ ...shared, DATA_DIR: dir }, ['staff:create', '--username', 'scale-reviewer', '--role', 'reviewer']))?.[0];
  for (const name of ['a', 'b']) {
    const env = { ...shared, DATA_DIR: mkdtempSync(path.join(dir, `${name}-`)), PORT: String(await freePort()), STAFF_PORT: String(await freePort()) };
    const instance = { name, env, logs: [] } as unknown as Instance;
    await start(instance);
    instances.push(instance);
  }
  balancer = await startHaproxy(dir, { public: await freePort(), staff: await freePort() }, {
    public: instances.map((i) => ({ name: i.name, port: Number(i.env.PORT) })),
    staff: instances.map((i) => ({ name: i.name, port: Number(i.env.STAFF_PORT) })),
  });
  staff = await enrolStaff(balancer.staffUrl, link!, 'scale-reviewer', 'harbour lantern pebble 6620');
}, 240_000);

afterAll(async () => {
  await balancer?.stop();
  for (const instance of instances) await instance.server.stop().catch(() => {});
  if (dbName) await sql(adminUrl, `drop database if exists ${dbName} with (force)`).catch(() => {});
});

describe.runIf(enabled)('two instances behind haproxy', () => {
  it('a staff session signed in on one instance works on the other', async () => {
    const reviewer = await loginStaff(balancer!.staffUrl, staff);
    const served = (i: Instance) => logLines(i).filter((l) => l.route === '/staff' && l.status === 200).length;
    const before = instances.map(served);
    for (let n = 0; n < 6; n++) {
      const page = await reviewer.get('/staff?status=open');
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('name="password"');
    }
    // Round robin: both instances answered queue requests with the signed-in page.
    const after = instances.map(served);
    expect(after[0]! - before[0]!).toBeGreaterThan(0);
    expect(after[1]! - before[1]!).toBeGreaterThan(0);
  });

  it('receipt guesses are counted once across instances', async () => {
    const guesser = new WebSession(balancer!.publicUrl, { 'x-forwarded-for': '198.51.100.23' });
    const statuses: number[] = [];
    for (let n = 0; n < LOGIN_LIMIT.limit + 3; n++) {
      await guesser.get('/followup');
      statuses.push((await guesser.post('/followup', { receipt: String(1_000_000_000_000_000 + n).slice(0, 16) })).status);
    }
    // The per-address limit holds for the pair: alone, each instance would allow LOGIN_LIMIT.
    expect(statuses.slice(0, LOGIN_LIMIT.limit).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(LOGIN_LIMIT.limit)).toEqual([429, 429, 429]);
  });

  it('runs each scheduled job once per period', async () => {
    await pause((INTERVAL_SECONDS * 3 + 1) * 1000);
    const { rows } = await sql<{ runs: number }>(databaseUrl, `select runs from scheduled_jobs where name = 'maintenance'`);
    const ran = instances.flatMap((i) => logLines(i).filter((l) => l.msg === 'scheduled job ran').map((l) => ({ instance: i.name, period: String(l.period) })));
    const periods = ran.map((r) => r.period).sort();
    expect(rows[0]!.runs).toBeGreaterThanOrEqual(2);
    expect(ran).toHaveLength(rows[0]!.runs);
    expect(new Set(periods).size).toBe(periods.length);
    for (let n = 1; n < periods.length; n++) {
      expect(Date.parse(periods[n]!) - Date.parse(periods[n - 1]!)).toBeGreaterThanOrEqual(INTERVAL_SECONDS * 1000);
    }
  });

  it('a rolling restart under traffic loses no submission, and every receipt shown opens its report', async () => {
    const receipts: string[] = [];
    const errors: string[] = [];
    let running = true;
    let sent = 0;
    const reporter = async (worker: number) => {
      while (running) {
        const n = sent++;
        try {
          const receipt = await submitPublicReport(
            balancer!.publicUrl,
            { fields: { categories: 'other', description: `滚动重启期间的线索 ${worker}-${n}`, identity_choice: 'anonymous' } },
            { 'x-forwarded-for': `10.${worker}.${(n >> 8) & 255}.${n & 255}` },
          );
          receipts.push(receipt);
        } catch (err) {
          // A person would see an error page (their form kept) and send again.
          const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
          errors.push(err instanceof Error ? `${err.message.split('\n').slice(0, 12).join(' ')}${cause}` : String(err));
        }
      }
    };
    const traffic = [reporter(1), reporter(2)];
    const [a, b] = instances as [Instance, Instance];
    await pause(1_500);
    await stop(a);
    await pause(1_000);
    await start(a);
    await pause(1_500);
    await stop(b);
    await pause(1_000);
    await start(b);
    await pause(1_500);
    running = false;
    await Promise.all(traffic);

    console.log(`rolling restart: ${receipts.length} submissions accepted while A and then B restarted`);
    expect(receipts.length).toBeGreaterThan(4);
    const { rows } = await sql<{ count: number }>(databaseUrl, 'select count(*)::int as count from reports');
    // Nothing lost and nothing doubled: one report per receipt shown, whatever the errors were.
    expect({ reports: rows[0]!.count, errors }).toEqual({ reports: receipts.length, errors: [] });
    for (const [n, receipt] of receipts.entries()) {
      const s = new WebSession(balancer!.publicUrl, { 'x-forwarded-for': `172.16.${(n >> 8) & 255}.${n & 255}` });
      await s.get('/followup');
      expect((await s.post('/followup', { receipt })).status).toBe(303);
      expect((await s.follow()).status).toBe(200);
    }
  });
});
