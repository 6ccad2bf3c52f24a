/**
 * Peak resident memory of the server while 100 MB of attachments stream through it: the real
 * server as its own process (so only its memory is measured), a reporter uploading 100 MiB in one
 * request (four files of 25 MiB, the per-file cap; the form's total cap is 100 MiB), then a
 * reviewer downloading the same 100 MiB, one file after the other and then all four at once. Files are sealed chunk by chunk on the way in
 * and opened chunk by chunk on the way out, so memory should not grow with the file size.
 *
 * The idle figure is the compiled server (as `npm start` runs it) on PostgreSQL right after it
 * starts, before any request: target under 150 MB.
 *
 * Two baselines, both printed. The cold one is the idle server after sign-in. The warm one is the
 * same server after it has moved one 4 MiB file up and down through the same routes: the first
 * transfer of any size grows V8's young generation from its idle size to its working size (tens
 * of MB, whatever the file size), which is the server warming up, not the file's cost.
 * Target: growth over the warm baseline < 64 MB (upload, and download one stream at a time);
 * growth over the cold baseline is reported beside it. The one-stream download runs five times and
 * the median run is the figure (the worst run is printed beside it): how far RSS climbs depends on
 * when the collector runs, which varies by tens of MB from run to run.
 *
 * The measured phases contain no argon2id work: the report, the follow-up sign-in and the staff
 * sign-in (each one argon2id derivation) happen before the baseline is taken.
 */
import { request as httpRequest } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CRYPTO_PARAMS, type Argon2Params } from '../server/core/crypto/index.js';
import { spawnServer, type ServerProcess } from '../test/faults/support/server-process.js';
import { cli, enrolStaff, followupLogin, loginStaff, queueCases, submitPublicReport } from '../test/faults/support/flows.js';
import type { WebSession } from '../test/faults/support/web-session.js';
import { adminQuery } from './admin.js';

export type RssBenchOptions = { databaseUrl: string; argon2: Argon2Params };
/** growthMB is over the warm baseline, coldGrowthMB over the cold one. */
type Phase = { peakMB: number; growthMB: number; coldGrowthMB: number; seconds: number; mbPerSecond: number };

export type RssBenchResult = {
  bytes: number;
  /** The compiled server on PostgreSQL, started and not yet asked anything. */
  idleMB: number;
  targetIdleMB: number;
  baselineMB: number;
  /** After one 4 MiB file went up and down: the baseline the target is measured from. */
  warmBaselineMB: number;
  /** Peak growth over the cold baseline while that 4 MiB file went up and down. */
  warmUpGrowthMB: number;
  upload: Phase;
  /** The median run of DOWNLOAD_RUNS; maxGrowthMB is the worst run's growth. */
  download: Phase & { runs: number; maxGrowthMB: number };
  /** The same four files downloaded at once: four streams in flight. */
  downloadConcurrent: Phase;
  targetGrowthMB: number;
};

const MiB = 1024 * 1024;
const FILES = 4;
const FILE_BYTES = 25 * MiB;
const TARGET_GROWTH_MB = 64;
const TARGET_IDLE_MB = 150;
const DOWNLOAD_RUNS = 5;

/** The element whose key is the median (the lower middle for an even count). */
function medianBy<T>(items: T[], key: (item: T) => number): T {
  return [...items].sort((a, b) => key(a) - key(b))[Math.floor((items.length - 1) / 2)]!;
}

/** Resident set size of a process in MB (10^6 bytes), from /proc. */
function rssMB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? (Number(kb) * 1024) / 1e6 : Number.NaN;
}

/** Samples RSS every 10 ms while `work` runs; returns the peak and how long it took. */
async function peakDuring(pid: number, work: () => Promise<void>): Promise<{ peakMB: number; seconds: number }> {
  let peak = rssMB(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMB(pid));
  }, 10);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { peakMB: Math.max(peak, rssMB(pid)), seconds: (performance.now() - started) / 1000 };
}

/** The deterministic content of file `i`: ASCII lines (valid UTF-8 text), generated on the fly. */
function* fileChunks(i: number, size = FILE_BYTES): Generator<Buffer> {
  const line = Buffer.from(`file ${i}: ${'寄递卫士 benchmark line '.repeat(3)}\n`);
  const block = Buffer.concat(Array.from({ length: Math.ceil(MiB / line.length) }, () => line)).subarray(0, MiB);
  for (let sent = 0; sent < size; sent += block.length) yield block.subarray(0, Math.min(block.length, size - sent));
}

function expectedDigest(i: number): string {
  const hash = createHash('sha256');
  for (const chunk of fileChunks(i)) hash.update(chunk);
  return hash.digest('hex');
}

/** Streams a multipart body (_csrf, note, four files) without ever holding it whole. */
function uploadFiles(base: string, s: WebSession, files = FILES, size = FILE_BYTES): Promise<number> {
  const boundary = `----bench${randomBytes(8).toString('hex')}`;
  const part = (headers: string) => Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL('/followup/files', base), {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie: s.cookieHeader(), 'transfer-encoding': 'chunked' },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    const write = (b: Buffer) => (req.write(b) ? Promise.resolve() : new Promise<void>((r) => req.once('drain', () => r())));
    void (async () => {
      await write(Buffer.concat([part('Content-Disposition: form-data; name="_csrf"'), Buffer.from(s.token), Buffer.from('\r\n')]));
      await write(Buffer.concat([part('Content-Disposition: form-data; name="note"'), Buffer.from('100 MB'), Buffer.from('\r\n')]));
      for (let i = 0; i < files; i++) {
        await write(part(`Content-Disposition: form-data; name="files"; filename="scan-${i}.txt"\r\nContent-Type: text/plain`));
        for (const chunk of fileChunks(i, size)) await write(chunk);
        await write(Buffer.from('\r\n'));
      }
      req.end(`--${boundary}--\r\n`);
    })().catch(reject);
  });
}

/** Downloads one file, hashing it as it arrives; returns its size and digest. */
function download(base: string, s: WebSession, path: string): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { headers: { cookie: s.cookieHeader() } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`download ${path}: HTTP ${res.statusCode}`));
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      res.on('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function runRssBench(opts: RssBenchOptions): Promise<RssBenchResult> {
  const name = `bench_rss_${randomBytes(4).toString('hex')}`;
  await adminQuery(opts.databaseUrl, `create database ${name}`);
  const url = new URL(opts.databaseUrl);
  url.pathname = `/${name}`;
  const env = {
    DATABASE_URL: url.toString(),
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parcelguard-bench-rss-')),
    LOG_LEVEL: 'warn',
    ARGON2_MEMORY_KIB: String(opts.argon2.memoryKiB),
    ARGON2_ITERATIONS: String(opts.argon2.iterations),
    ARGON2_PARALLELISM: String(opts.argon2.parallelism),
    ARGON2_MAX_CONCURRENT: String(opts.argon2.maxConcurrent),
  };
  let server: ServerProcess | undefined;
  try {
    const link = /\S+\/staff\/enrol\/\S+/.exec(await cli(env, ['staff:create', '--username', 'bench-rss', '--role', 'reviewer']))?.[0];
    server = await spawnServer(env, { compiled: true });
    // Idle: started, nothing asked of it yet, the heap left to settle.
    await new Promise((r) => setTimeout(r, 3_000));
    const idleMB = rssMB(server.pid);
    const base = server.baseUrl;
    const staffBase = server.staffBaseUrl;
    const staff = await enrolStaff(staffBase, link!, 'bench-rss', 'lantern pebble harbour 5521');
    const receipt = await submitPublicReport(base, { fields: { categories: 'other', description: '100 MB 附件内存测试', identity_choice: 'anonymous' } });
    const reporter = await followupLogin(base, receipt);
    const reviewer = await loginStaff(staffBase, staff);
    const [caseNumber] = await queueCases(reviewer);

    // Warm up the routes measured (template compilation, JIT), then let the heap settle.
    await reviewer.get(`/staff/cases/${caseNumber}`);
    await reporter.get('/followup');
    await new Promise((r) => setTimeout(r, 2_000));
    const baselineMB = rssMB(server.pid);
    const fileUrl = (id: string) => `/staff/cases/${caseNumber}/files/${id}?download=1`;
    const fileIds = async () => new Set([...(await reviewer.get(`/staff/cases/${caseNumber}`)).text.matchAll(/\/files\/([0-9a-f-]{36})/g)].map((m) => m[1]!));

    // The warm-up transfer: one 4 MiB file up and down.
    const warmUp = await peakDuring(server.pid, async () => {
      if ((await uploadFiles(base, reporter, 1, 4 * MiB)) !== 303) throw new Error('warm-up upload failed');
      for (const id of await fileIds()) await download(staffBase, reviewer, fileUrl(id));
    });
    await new Promise((r) => setTimeout(r, 2_000));
    const warmBaselineMB = rssMB(server.pid);
    const before = await fileIds();

    let status = 0;
    const up = await peakDuring(server.pid, async () => {
      status = await uploadFiles(base, reporter);
    });
    if (status !== 303) throw new Error(`upload answered HTTP ${status}`);

    const ids = [...(await fileIds())].filter((id) => !before.has(id));
    if (ids.length !== FILES) throw new Error(`expected ${FILES} new files on the case page, found ${ids.length}`);
    const digests = new Set(Array.from({ length: FILES }, (_, i) => expectedDigest(i)));
    const check = (results: { bytes: number; sha256: string }[]) => {
      if (!results.every((r) => r.bytes === FILE_BYTES && digests.has(r.sha256))) throw new Error('downloaded files differ from the uploaded ones');
    };
    // One reviewer reading the 100 MB, file after file (one stream at a time, like one 100 MB file),
    // DOWNLOAD_RUNS times: the peak depends on when V8 happens to collect the chunks already sent
    // (it lets external memory reach tens of MB before it must), so one run is one draw of a spread.
    const downs: { peakMB: number; seconds: number }[] = [];
    for (let run = 0; run < DOWNLOAD_RUNS; run++) {
      await new Promise((r) => setTimeout(r, 2_000));
      downs.push(
        await peakDuring(server.pid, async () => {
          const results = [];
          for (const id of ids) results.push(await download(staffBase, reviewer, fileUrl(id)));
          check(results);
        }),
      );
    }
    const down = medianBy(downs, (d) => d.peakMB);
    // …and the four files at once (four streams in flight).
    await new Promise((r) => setTimeout(r, 2_000));
    const together = await peakDuring(server.pid, async () => check(await Promise.all(ids.map((id) => download(staffBase, reviewer, fileUrl(id))))));

    const total = FILES * FILE_BYTES;
    const phase = (p: { peakMB: number; seconds: number }): Phase => ({
      peakMB: p.peakMB,
      growthMB: p.peakMB - warmBaselineMB,
      coldGrowthMB: p.peakMB - baselineMB,
      seconds: p.seconds,
      mbPerSecond: total / 1e6 / p.seconds,
    });
    return {
      bytes: total,
      idleMB,
      targetIdleMB: TARGET_IDLE_MB,
      baselineMB,
      warmBaselineMB,
      warmUpGrowthMB: warmUp.peakMB - baselineMB,
      upload: phase(up),
      download: { ...phase(down), runs: DOWNLOAD_RUNS, maxGrowthMB: Math.max(...downs.map((d) => d.peakMB)) - warmBaselineMB },
      downloadConcurrent: phase(together),
      targetGrowthMB: TARGET_GROWTH_MB,
    };
  } finally {
    await server?.stop();
    await adminQuery(opts.databaseUrl, `drop database if exists ${name} with (force)`).catch(() => {});
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runRssBench({ databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', argon2: { ...CRYPTO_PARAMS.argon2 } });
  console.log(JSON.stringify(result, null, 2));
}
