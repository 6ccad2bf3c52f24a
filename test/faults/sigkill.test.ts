import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { requirePostgres } from './support/gate.js';
import { spawnServer, type ServerProcess } from './support/server-process.js';
import { cli, enrolStaff, receiptOf } from './support/flows.js';
import { WebSession } from './support/web-session.js';

const enabled = requirePostgres('SIGKILL during submissions');

let adminUrl = '';
let dbName = '';
let env: Record<string, string> = {};
let server: ServerProcess | undefined;

beforeAll(async () => {
  if (!enabled) return;
  adminUrl = process.env.DATABASE_URL!;
  dbName = `faults_kill_${randomBytes(4).toString('hex')}`;
  await sql(adminUrl, `create database ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  // Each simulated reporter comes from its own address, so per-address limits apply per reporter.
  env = { DATABASE_URL: url.toString(), DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parcelguard-kill-')), TRUST_PROXY: 'loopback' };
  const out = await cli(env, ['staff:create', '--username', 'kill-reviewer', '--role', 'reviewer']);
  const link = /\S+\/staff\/enrol\/\S+/.exec(out)?.[0];
  server = await spawnServer(env);
  await enrolStaff(server.staffBaseUrl, link!, 'kill-reviewer', 'pebble harbour lantern 8841');
});
afterAll(async () => {
  await server?.stop();
  if (dbName) await sql(adminUrl, `drop database if exists ${dbName} with (force)`).catch(() => {});
});

async function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}

const address = () => `10.${(Math.random() * 250) | 0}.${(Math.random() * 250) | 0}.${1 + ((Math.random() * 250) | 0)}`;
const FILE = { name: 'scan.txt', type: 'text/plain', body: Buffer.from('扫描记录\n'.repeat(20_000)) }; // ~260 KB, several chunks

/** One reporter: the form, then (every other time) a review step with a file, then send. */
async function submitOnce(base: string, n: number): Promise<string> {
  const s = new WebSession(base, { 'x-forwarded-for': address() });
  await s.get('/report');
  const fields = { categories: 'explosives', description: `第 ${n} 条：包裹渗出刺鼻液体。`, province: 'GD', waybill_numbers: `SF${1e10 + n}`, identity_choice: 'anonymous' };
  if (n % 2 === 0) return receiptOf('send', await s.postMultipart('/report', { ...fields, action: 'send' }));
  const review = await s.postMultipart('/report', { ...fields, action: 'review' }, [FILE]);
  const staged = [...review.text.matchAll(/<input type="hidden" name="(staging_key|staged)" value="([^"]+)">/g)];
  const hidden: Record<string, string[]> = {};
  for (const [, name, value] of staged) hidden[name!] = [...(hidden[name!] ?? []), value!];
  return receiptOf('send', await s.follow(await s.postMultipart('/report', { ...fields, ...hidden, action: 'send' })));
}

describe.skipIf(!enabled)('SIGKILL during a stream of submissions', () => {
  it('leaves no half-written report, and every receipt shown still works after the restart', async () => {
    const shown: string[] = [];
    let failures = 0;
    // Three crashes in a row, each with uploads, review steps and transactions in flight.
    for (let round = 0; round < 3; round++) {
      const base = server!.baseUrl;
      const target = shown.length + 8;
      let stop = false;
      const workers = Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          try {
            shown.push(await submitOnce(base, round * 1_000_000 + w * 10_000 + i));
          } catch {
            failures += 1; // the connection died with the process: nothing was shown
          }
        }
      });
      while (shown.length < target) await new Promise((r) => setTimeout(r, 20));
      stop = true; // no new submissions; the ones in flight die with the process
      await server!.kill('SIGKILL');
      await Promise.all(workers);
      server = await spawnServer(env);
    }
    expect(failures).toBeGreaterThan(0); // requests really were cut off mid-way

    const db = env.DATABASE_URL!;
    const reports = (await sql(db, 'select id, attachment_count from reports')).rows as { id: string; attachment_count: number }[];
    expect(reports.length).toBeGreaterThanOrEqual(shown.length);

    // Every report is whole: its reporter and reviewer grants, its acknowledgement, its audit event.
    const broken = await sql(db, `
      select r.id,
        (select count(*) from report_key_grants g where g.report_id = r.id and g.recipient_kind = 'reporter' and g.key_kind = 'report') as reporter_grants,
        (select count(*) from report_key_grants g where g.report_id = r.id and g.recipient_kind = 'staff' and g.key_kind = 'report') as staff_grants,
        (select count(*) from messages m where m.report_id = r.id and m.system_code = 'ack') as acks,
        (select count(*) from audit_log a where a.case_id = r.id and a.event = 'report.submitted') as audits,
        (select count(*) from attachments a where a.report_id = r.id and a.complete) as files
      from reports r`);
    const incomplete = broken.rows.filter((r) => Number(r.reporter_grants) !== 1 || Number(r.staff_grants) < 1 || Number(r.acks) !== 1 || Number(r.audits) !== 1);
    expect(incomplete).toEqual([]);
    const withFiles = broken.rows.filter((r) => Number(r.files) > 0).length;
    expect(withFiles).toBeGreaterThan(0);
    for (const r of reports) expect(Number(broken.rows.find((b) => b.id === r.id)!.files)).toBe(r.attachment_count);

    // Attachments: an attached file is complete with all its chunks; anything else is a staged upload.
    const orphans = await sql(db, `select id from attachments where report_id is null and message_id is null and staging_expires_at is null`);
    expect(orphans.rows).toEqual([]);
    const short = await sql(db, `
      select a.id from attachments a where a.report_id is not null
        and (not a.complete or a.chunk_count <> (select count(*) from attachment_chunks c where c.attachment_id = a.id))`);
    expect(short.rows).toEqual([]);

    // The hash-chained audit log is intact after the crash.
    expect(await cli(env, ['audit:verify'])).toMatch(/audit chain OK/);

    // Every receipt the reporters saw opens their report.
    for (const receipt of shown) {
      const s = new WebSession(server!.baseUrl, { 'x-forwarded-for': address() });
      await s.get('/followup');
      const res = await s.post('/followup', { receipt });
      expect(res.status, `receipt ${shown.indexOf(receipt)} of ${shown.length}`).toBe(303);
    }
    console.log(`SIGKILL: ${shown.length} receipts shown, ${failures} requests cut off, ${reports.length} reports stored, all whole; ${withFiles} with files`);
  });
});
