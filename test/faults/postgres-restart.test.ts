import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateCluster } from './support/pg-cluster.js';
import { spawnServer, type ServerProcess } from './support/server-process.js';
import { countBy, getText, startLoad, waitFor, type Sample } from './support/load.js';
import { requirePostgres } from './support/gate.js';
import { cli, enrolStaff, receiptOf } from './support/flows.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSession } from './support/web-session.js';
import { t } from '../../server/core/i18n/index.js';

const enabled = requirePostgres('PostgreSQL restart under load');

let cluster: PrivateCluster;
let server: ServerProcess;
beforeAll(async () => {
  if (!enabled) return;
  cluster = await PrivateCluster.create();
  const url = await cluster.createDatabase('parcelguard_faults');
  // Each simulated reporter comes from its own address, so per-address limits apply per reporter.
  const env = { DATABASE_URL: url, DATABASE_POOL_SIZE: '4', TRUST_PROXY: 'loopback', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parcelguard-restart-')) };
  // A reviewer is enrolled first: a report nobody could read is refused.
  const link = /\S+\/staff\/enrol\/\S+/.exec(await cli(env, ['staff:create', '--username', 'restart-reviewer', '--role', 'reviewer']))?.[0];
  server = await spawnServer(env);
  await enrolStaff(server.staffBaseUrl, link!, 'restart-reviewer', 'harbour pebble lantern 4417');
});
afterAll(async () => {
  await server?.stop();
  await cluster?.drop();
});

/** What a reader or a monitor would be doing while the database goes away. */
function browseAndProbe(base: string) {
  return startLoad(4, async (worker) => {
    const path = worker % 2 === 0 ? '/healthz' : '/';
    const { status, body } = await getText(base + path);
    return { label: path, status, body };
  });
}

function alive(p: ServerProcess): boolean {
  try {
    process.kill(p.pid, 0);
    return true;
  } catch {
    return false;
  }
}

function expectOnly(samples: Sample[], allowed: Record<string, number[]>): void {
  const unexpected = samples.filter((s) => !(allowed[s.label] ?? []).includes(s.status));
  expect(unexpected.map((s) => `${s.label} → ${s.status}: ${s.body.slice(0, 200)}`)).toEqual([]);
}

describe.skipIf(!enabled)('PostgreSQL goes away under load', () => {
  it('stop, then start: 503 while it is down, recovery without restarting the app', async () => {
    const load = browseAndProbe(server.baseUrl);
    await new Promise((r) => setTimeout(r, 1_000));
    const before = load.samples.length;

    await cluster.ctl('stop', 'fast');
    const downAt = Date.now();
    await waitFor('/healthz to report 503', async () => (await getText(`${server.baseUrl}/healthz`)).status === 503, 15_000);
    await new Promise((r) => setTimeout(r, 2_000));

    // PostgreSQL accepts connections before pg_ctlcluster returns, so the outage ends when start begins.
    const upAt = Date.now();
    await cluster.ctl('start');
    const recoveredIn = await waitFor('/healthz to report 200 again', async () => (await getText(`${server.baseUrl}/healthz`)).status === 200, 30_000);
    await new Promise((r) => setTimeout(r, 1_500));
    const samples = await load.stop();

    expect(before).toBeGreaterThan(0);
    // Never a crash page, never a dropped connection: the health check says 503, pages keep serving.
    expectOnly(samples, { '/healthz': [200, 503], '/': [200] });
    const during = samples.filter((s) => s.label === '/healthz' && s.at > downAt + 500 && s.at < upAt);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((s) => s.status === 503 && s.body.includes('unavailable'))).toBe(true);
    const after = samples.filter((s) => s.at > Date.now() - 1_000);
    expect(after.length).toBeGreaterThan(0);
    expect(countBy(after, (s) => String(s.status))).toEqual({ '200': after.length });

    // Same process throughout: recovery came from the pool reconnecting, not from a restart.
    expect(alive(server)).toBe(true);
    console.log(`PostgreSQL stop/start: ${samples.length} requests, app healthy again ${recoveredIn} ms after PostgreSQL started`);
  });

  it('an immediate restart (crash-like, no checkpoint) is also absorbed', async () => {
    const load = browseAndProbe(server.baseUrl);
    await new Promise((r) => setTimeout(r, 500));
    await cluster.ctl('restart', 'immediate');
    const recoveredIn = await waitFor('/healthz to report 200 after the restart', async () => (await getText(`${server.baseUrl}/healthz`)).status === 200, 30_000);
    await new Promise((r) => setTimeout(r, 1_500));
    const samples = await load.stop();

    expectOnly(samples, { '/healthz': [200, 503], '/': [200] });
    const after = samples.filter((s) => s.at > Date.now() - 1_000);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((s) => s.status === 200)).toBe(true);
    expect(alive(server)).toBe(true);
    console.log(`PostgreSQL immediate restart: ${samples.length} requests, app healthy ${recoveredIn} ms after the restart returned`);
  });
});

const address = () => `10.${(Math.random() * 250) | 0}.${(Math.random() * 250) | 0}.${1 + ((Math.random() * 250) | 0)}`;

type Attempt = { at: number; stage: 'get' | 'post'; status: number; receipt: string | null; description: string; body: string };

/** One reporter sending a report in one step; the outcome is whatever page came back. */
async function attemptReport(base: string, n: number): Promise<Attempt> {
  const s = new WebSession(base, { 'x-forwarded-for': address() });
  const description = `第 ${n} 条：申报为配件的包裹过机显示为金属锭。`;
  const form = await s.get('/report');
  if (form.status !== 200) return { at: Date.now(), stage: 'get', status: form.status, receipt: null, description, body: form.text };
  const page = await s.postMultipart('/report', { categories: 'strategic_minerals', description, province: 'GD', identity_choice: 'anonymous', action: 'send' });
  let receipt: string | null = null;
  try {
    receipt = receiptOf('send', page);
  } catch {
    receipt = null;
  }
  return { at: Date.now(), stage: 'post', status: page.status, receipt, description, body: page.text };
}

describe.skipIf(!enabled)('PostgreSQL restarts while reporters are submitting', () => {
  it('answers 503 with a translated page meanwhile, recovers by itself, loses no acknowledged report', async () => {
    const attempts: Attempt[] = [];
    let stop = false;
    let n = 0;
    const workers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          attempts.push(await attemptReport(server.baseUrl, n++));
        } catch (err) {
          attempts.push({ at: Date.now(), stage: 'post', status: 0, receipt: null, description: '', body: String(err) });
        }
      }
    });
    while (attempts.filter((a) => a.receipt).length < 5) await new Promise((r) => setTimeout(r, 50));
    await cluster.ctl('stop', 'fast');
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, 3_000));
    const upAt = Date.now();
    await cluster.ctl('start');
    await waitFor('a receipt after the restart', async () => attempts.some((a) => a.at > upAt && a.receipt !== null), 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    stop = true;
    await Promise.all(workers);

    // Only receipts, or 503 while the database was away: never a crash page, never a dropped connection.
    expect(attempts.filter((a) => a.status !== 200 && a.status !== 503).map((a) => `${a.status}: ${a.body.slice(0, 200)}`)).toEqual([]);
    const refused = attempts.filter((a) => a.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((a) => a.at > downAt - 1_000)).toBe(true);
    for (const a of refused) {
      expect(a.body).toContain(t('zh-CN', 'errors.unavailableTitle'));
      expect(a.body).not.toMatch(/at .*\.ts:\d+|ECONNREFUSED|terminat/i); // no internals
    }
    // A refused submission is the form again with the reporter's text and "try again", not a bare error page.
    const refusedPosts = refused.filter((a) => a.stage === 'post');
    expect(refusedPosts.length).toBeGreaterThan(0);
    expect(refusedPosts.filter((a) => !a.body.includes(a.description) || !a.body.includes(t('zh-CN', 'errors.formKeptMessage'))).map((a) => a.body.slice(0, 300))).toEqual([]);

    // Every reporter who saw a receipt has a report: each receipt opens it at /followup.
    const shown = attempts.filter((a) => a.receipt).map((a) => a.receipt!);
    for (const receipt of shown) {
      const s = new WebSession(server.baseUrl, { 'x-forwarded-for': address() });
      await s.get('/followup');
      expect((await s.post('/followup', { receipt })).status).toBe(303);
    }
    expect(alive(server)).toBe(true);
    console.log(`PostgreSQL stopped 3 s during submissions: ${attempts.length} attempts, ${shown.length} receipts (all open their report), ${refused.length} answered 503 (${refusedPosts.length} of them the form again with its text)`);
  });
});
