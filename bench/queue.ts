/**
 * Reviewer-queue benchmark at scale: a fresh PostgreSQL database with N synthetic reports
 * (default 1,000,000) granted to 3 reviewers, then p50/p95 of
 *   - the first queue page, a filtered page and a deep keyset page (target p95 < 50 ms), through
 *     the queue service (the same function the route calls: page + counts + "my cases"), and over
 *     HTTP with a signed-in reviewer;
 *   - the case view of a real sealed report among them (target p95 < 30 ms, no attachments):
 *     open the reviewer's grant, decrypt payload and thread, write the case.viewed audit row.
 *
 * Synthetic rows are plaintext metadata (a realistic mix of statuses by age, severities,
 * categories, provinces, assignees and links over two years) with small dummy sealed blobs; they
 * are generated with generate_series inside PostgreSQL, with the secondary indexes and the
 * queue-count triggers off during the load and rebuilt afterwards, as one would for a bulk import.
 *
 * `npx tsx bench/queue.ts` prints the figures (DATABASE_URL and BENCH_REPORTS override the
 * defaults, BENCH_KEEP=1 keeps the database for EXPLAIN, BENCH_REUSE=<name> measures such a kept
 * database again without generating); runQueueBench is what `npm run bench` calls.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Kdf, cryptoReady, generateBoxKeyPair, type BoxKeyPair } from '../server/core/crypto/index.js';
import { ImageJobs } from '../server/core/images/jobs.js';
import { loadConfig } from '../server/core/config.js';
import { createLogger } from '../server/core/logger.js';
import { openPostgres, type Database } from '../server/core/db/index.js';
import type { DB } from '../server/core/db/schema.js';
import { migrateToLatest } from '../server/core/db/migrator.js';
import { ensureInstallation } from '../server/core/installation/repository.js';
import { createStaffApp } from '../server/staff/app.js';
import type { AppContext } from '../server/core/context.js';
import { createSession } from '../server/core/sessions/store.js';
import { submitReport } from '../server/core/reports/service.js';
import { auditKeysFrom, withAuditKeys } from '../server/core/audit/keys.js';
import { CATEGORY_CODES } from '../server/core/intake/taxonomy.js';
import { PROVINCE_CODES } from '../server/core/reports/model.js';
import { rebuildQueueCounts } from '../server/core/queue/repository.js';
import { loadQueue, encodeCursor } from '../server/core/queue/service.js';
import { queueQuerySchema } from '../server/core/queue/schema.js';
import { loadCaseView } from '../server/core/cases/service.js';
import type { StaffPrincipal } from '../server/staff/guard.js';
import { adminQuery, countReports } from './admin.js';
import { round, timed } from './timing.js';

export type QueueBenchOptions = {
  /** A PostgreSQL server URL; the bench creates and drops its own database there. */
  databaseUrl: string;
  reports: number;
  /** Timed repetitions per figure (default 200, after 20 warm-up runs). */
  iterations?: number;
  log?: (line: string) => void;
  /** Keep the generated database (to inspect plans with EXPLAIN); its name is logged. */
  keep?: boolean;
  /** A database kept by an earlier run: its reviewers get new key pairs, and it is measured without generating. */
  reuse?: string;
};

type Reviewer = BoxKeyPair & { id: string; username: string };
type Env = { ctx: AppContext; url: string; reviewers: Reviewer[]; stop(): Promise<void> };

const CHUNK = 100_000;

export async function runQueueBench(opts: QueueBenchOptions): Promise<Record<string, number>> {
  const log = opts.log ?? (() => {});
  await cryptoReady();
  const env = await startEnv(opts.databaseUrl, opts.keep ?? false, opts.reuse, log);
  try {
    const started = performance.now();
    if (!opts.reuse) await generateReports(env, opts.reports, log);
    const generateSeconds = (performance.now() - started) / 1000;
    const reports = await countReports(env.ctx.database.db);
    if (!opts.reuse) log(`generated ${reports} reports in ${generateSeconds.toFixed(1)} s`);
    const real = await submitReport(env.ctx, null, realReport());
    const figures = await measureAll(env, real.caseNumber, opts.iterations ?? 200, log);
    return { reports, ...(opts.reuse ? {} : { generateSeconds: round(generateSeconds) }), ...figures };
  } finally {
    await env.stop();
  }
}

async function startEnv(databaseUrl: string, keep: boolean, reuse: string | undefined, log: (line: string) => void): Promise<Env> {
  const name = reuse ?? `bench_queue_${randomBytes(4).toString('hex')}`;
  if (!reuse) await adminQuery(databaseUrl, `create database ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: url.toString(),
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parcelguard-bench-')),
    LOG_LEVEL: 'warn',
  });
  const opened: Database = openPostgres(url.toString(), 10);
  const database: Database = { ...opened, db: withAuditKeys(opened.db, auditKeysFrom(config.secrets)) };
  await migrateToLatest(database.db);
  const kdf = new Kdf(config.argon2);
  await ensureInstallation(database.db, kdf.currentCost(), config.secrets.receiptPepper);
  const ctx: AppContext = { config, database, logger: createLogger(config.logLevel), kdf, images: new ImageJobs(config.images) };
  const reviewers = reuse ? await rekeyReviewers(database.db) : await seedReviewers(database.db);
  return {
    ctx,
    url: url.toString(),
    reviewers,
    stop: async () => {
      await database.close();
      if (keep) log(`kept database ${name}`);
      else await adminQuery(databaseUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

/** Three active reviewers with real key pairs (the case view opens real grants). */
async function seedReviewers(db: Kysely<DB>): Promise<Reviewer[]> {
  const out: Reviewer[] = [];
  for (let i = 0; i < 3; i++) {
    const pair = generateBoxKeyPair();
    const id = randomUUID();
    const username = `bench-reviewer-${i}`;
    // Approved key holders (migration 20261201_1300): only they receive grants and count as recipients.
    await db.insertInto('staff').values({ id, username, role: 'reviewer', status: 'active', is_custodian: i === 2, public_key: pair.publicKey, key_approval: 'cli', key_approved_at: new Date() }).execute();
    out.push({ ...pair, id, username });
  }
  return out;
}

/**
 * The kept database's reviewers with new key pairs (the old private keys lived only in the run
 * that made them): the synthetic grants are never opened, and the real report filed next is
 * sealed to the new keys.
 */
async function rekeyReviewers(db: Kysely<DB>): Promise<Reviewer[]> {
  const rows = await db.selectFrom('staff').select(['id', 'username']).where('username', 'like', 'bench-reviewer-%').orderBy('username').execute();
  const out: Reviewer[] = [];
  for (const { id, username } of rows) {
    const pair = generateBoxKeyPair();
    await db.updateTable('staff').set({ public_key: pair.publicKey }).where('id', '=', id).execute();
    out.push({ ...pair, id, username });
  }
  return out;
}

// ---------------------------------------------------------------- data generation

/** Secondary indexes of the two big tables, dropped for the load and rebuilt from their definitions. */
async function dropSecondaryIndexes(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ name: string; def: string }>`
    select i.indexname as name, i.indexdef as def from pg_indexes i
    where i.tablename in ('reports', 'report_key_grants') and i.schemaname = current_schema()
      and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`.execute(db);
  for (const r of rows) await sql`drop index ${sql.id(r.name)}`.execute(db);
  return rows.map((r) => r.def);
}

async function generateReports(env: Env, count: number, log: (line: string) => void): Promise<void> {
  let t0 = performance.now();
  const lap = (what: string) => {
    log(`  ${what} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
  };
  // Its own single connection: the session settings below then apply to every statement of the
  // load, and no per-query timeout (the app pool has one) cuts the index builds short.
  const loader = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: env.url, max: 1 }) }) });
  try {
    await load(loader, env, count, lap);
  } finally {
    await loader.destroy();
  }
}

async function load(db: Kysely<DB>, env: Env, count: number, lap: (what: string) => void): Promise<void> {
  await sql`set synchronous_commit = off`.execute(db);
  // Skips foreign-key checks during the load (the generator only references rows it just wrote);
  // needs a superuser, so without one the load simply runs with the checks.
  await sql`set session_replication_role = replica`.execute(db).catch(() => undefined);
  await sql`set maintenance_work_mem = '512MB'`.execute(db);
  await sql`alter table reports disable trigger user`.execute(db);
  await sql`alter table report_key_grants disable trigger user`.execute(db);
  const indexes = await dropSecondaryIndexes(db);
  for (let lo = 1; lo <= count; lo += CHUNK) {
    const hi = Math.min(count, lo + CHUNK - 1);
    await insertChunk(db, lo, hi, count, env.reviewers.map((r) => r.id));
    lap(`reports ${hi}/${count} and their grants`);
  }
  for (const def of indexes) await sql.raw(def).execute(db);
  lap(`${indexes.length} indexes rebuilt`);
  await sql`alter table reports enable trigger user`.execute(db);
  await sql`alter table report_key_grants enable trigger user`.execute(db);
  await sql`set session_replication_role = default`.execute(db).catch(() => undefined);
  await rebuildQueueCounts(db);
  await sql`vacuum analyze reports`.execute(db);
  await sql`vacuum analyze report_key_grants`.execute(db);
  await sql`analyze staff`.execute(db);
  lap('counts rebuilt, vacuum analyze');
}

/**
 * One chunk of synthetic reports and their 'report' grants to every reviewer, in one statement.
 * Report i is i/count of two years old. Older reports are mostly closed; recent ones are spread
 * over the open statuses; critical 2%, high 10%; a fifth carry two categories; 3% are linked.
 */
async function insertChunk(db: Kysely<DB>, lo: number, hi: number, count: number, reviewerIds: string[]): Promise<void> {
  const categories = [...CATEGORY_CODES];
  const provinces = [...PROVINCE_CODES];
  await sql`
    with base as (
      select i, random() a, random() b, random() c, random() k, random() l, random() o, random() p, random() v, random() x, random() y, random() z,
             now() - (i::float8 / ${count}) * interval '730 days' - random() * interval '1 hour' as created_at
      from generate_series(${lo}::int, ${hi}::int) i
    ), aged as (
      select *, extract(epoch from now() - created_at) / 86400 as age from base
    ), st as (
      select *, case
        when age > 120 then case when z < 0.97 then 'closed' when z < 0.99 then 'referred' else 'in_review' end
        when age > 30 then case when z < 0.6 then 'closed' when z < 0.7 then 'referred' when z < 0.85 then 'in_review' when z < 0.95 then 'awaiting_reporter' else 'acknowledged' end
        when age > 3 then case when z < 0.01 then 'new' when z < 0.25 then 'acknowledged' when z < 0.65 then 'in_review' when z < 0.85 then 'awaiting_reporter' when z < 0.9 then 'referred' else 'closed' end
        else case when z < 0.4 then 'new' when z < 0.7 then 'acknowledged' else 'in_review' end
      end as status from aged
    ), ins as (
      insert into reports (id, case_number, channel, status, outcome, severity, categories, province, immediate_danger, assignee_id,
        attachment_count, identity_present, consent_level, link_count, payload_sealed, reporter_public_key,
        created_at, updated_at, acknowledged_at, triage_due_at, feedback_due_at, closed_at)
      select gen_random_uuid(), 'PG-B' || lpad(upper(to_hex(i)), 7, '0'),
        case when c < 0.75 then 'public' else 'employee' end,
        status,
        case when status = 'closed' then (array['referred_to_authority','handled_internally','unfounded','duplicate','insufficient_information','withdrawn'])[1 + floor(o * 6)::int] end,
        case when v < 0.02 then 'critical' when v < 0.12 then 'high' when v < 0.85 then 'normal' else 'low' end,
        case when k < 0.2 then array[(${categories}::text[])[1 + floor(a * 20)::int], (${categories}::text[])[1 + floor(b * 20)::int]]
             else array[(${categories}::text[])[1 + floor(power(a, 2) * 20)::int]] end,
        (${provinces}::text[])[1 + floor(power(p, 1.5) * 34)::int],
        v < 0.02,
        case when status <> 'new' and x < 0.7 then (${reviewerIds}::uuid[])[1 + floor(y * 3)::int] end,
        case when l > 0.7 then 1 + floor(l * 4)::int else 0 end,
        c >= 0.75 or b < 0.1,
        case when c >= 0.75 then 'confidential' when b < 0.05 then 'share_with_authorities' when b < 0.1 then 'confidential' else 'none' end,
        case when l < 0.03 then 1 else 0 end,
        decode(repeat('ab', 120), 'hex'), decode(repeat('cd', 32), 'hex'),
        created_at, created_at,
        case when status <> 'new' then created_at + y * interval '20 hours' end,
        created_at + case when v < 0.02 then interval '1 hour' else interval '24 hours' end,
        created_at + interval '30 days' * (1 + case when status = 'closed' then 0 else floor(age / 30) end) - o * interval '7 days',
        case when status = 'closed' then created_at + o * interval '40 days' end
      from st
      returning id
    )
    insert into report_key_grants (report_id, key_kind, recipient_kind, recipient_id, sealed_key)
    select ins.id, 'report', 'staff', r.id, decode(repeat('ef', 80), 'hex') from ins cross join unnest(${reviewerIds}::uuid[]) as r(id)`.execute(db);
}

/** The one real report, sealed by the intake service, whose case page is timed. */
function realReport() {
  return {
    reporter: { kind: 'anonymous' as const },
    categories: ['spy_equipment'],
    description: '收寄验视时发现包裹内有伪装成充电宝的针孔摄像设备，申报品名为“数码配件”，寄往境外。'.repeat(4),
    immediateDanger: false,
    parcel: { waybillNumbers: ['SF1234567890'], courierCompany: '顺丰速运', direction: 'outbound_international' as const, sender: { name: '张三', phone: '13800138000' } },
    province: 'GD' as const,
    identity: null,
    attachments: [],
  };
}

// ---------------------------------------------------------------- measurement

/** The queries a reviewer's day is made of: first page, a filter, a page deep in the queue. */
async function queueScenarios(env: Env) {
  const db = env.ctx.database.db;
  // A position half-way down the whole queue (page ~10,000 of 50 rows), reached by keyset.
  const { rows } = await sql<{ id: string; created_text: string }>`
    select id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_text
    from reports order by created_at desc, id desc offset ${Math.floor((await countReports(db)) / 2)} limit 1`.execute(db);
  const cursor = encodeCursor('newest', { ...rows[0]!, due_text: null, severity_weight: 0 } as never)!;
  return {
    first: { status: 'open' },
    filtered: { status: 'open', category: ['explosives', 'firearms', 'spy_equipment'], province: 'GD', severity: 'high', sort: 'due' },
    deep: { status: 'all', after: cursor },
  } as Record<string, Record<string, unknown>>;
}

async function measureAll(env: Env, caseNumber: string, iterations: number, log: (line: string) => void): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const me = env.reviewers[0]!;
  const viewer = { id: me.id, role: 'reviewer' as const };
  const scenarios = await queueScenarios(env);
  for (const [name, query] of Object.entries(scenarios)) {
    const q = queueQuerySchema.parse(query);
    const r = await timed(iterations, () => loadQueue(env.ctx.database.db, viewer, q, { legalAckBound: false }));
    Object.assign(out, { [`queue_${name}_p50_ms`]: r.p50, [`queue_${name}_p95_ms`]: r.p95 });
    log(`queue ${name}: p50 ${r.p50} ms, p95 ${r.p95} ms (service)`);
  }
  const principal: StaffPrincipal = { id: me.id, username: me.username, role: 'reviewer', isCustodian: false, publicKey: me.publicKey, privateKey: me.privateKey };
  const view = await timed(iterations, () => loadCaseView(env.ctx, principal, caseNumber));
  Object.assign(out, { case_view_p50_ms: view.p50, case_view_p95_ms: view.p95 });
  log(`case view: p50 ${view.p50} ms, p95 ${view.p95} ms (service)`);
  Object.assign(out, await measureHttp(env, scenarios, caseNumber, iterations, log));
  return out;
}

async function measureHttp(env: Env, scenarios: Record<string, Record<string, unknown>>, caseNumber: string, iterations: number, log: (line: string) => void) {
  const server: Server = createServer(createStaffApp(env.ctx));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  // A session opened now: generating ten million reports takes longer than a staff session may idle.
  const me = env.reviewers[0]!;
  const headers = { cookie: `pg_staff=${await createSession(env.ctx.database.db, 'staff', me.id, me.privateKey)}` };
  const out: Record<string, number> = {};
  try {
    const get = async (p: string) => {
      const res = await fetch(base + p, { headers, redirect: 'manual' });
      if (res.status !== 200) throw new Error(`GET ${p} answered ${res.status}`);
      await res.arrayBuffer();
    };
    const paths: Record<string, string> = { case_view: `/staff/cases/${caseNumber}` };
    for (const [name, query] of Object.entries(scenarios)) paths[`queue_${name}`] = `/staff?${toSearch(query)}`;
    for (const [name, p] of Object.entries(paths)) {
      const r = await timed(iterations, () => get(p));
      Object.assign(out, { [`http_${name}_p50_ms`]: r.p50, [`http_${name}_p95_ms`]: r.p95 });
      log(`http ${name}: p50 ${r.p50} ms, p95 ${r.p95} ms`);
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return out;
}

function toSearch(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const item of [v].flat()) params.append(k, String(item));
  return params.toString();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const reports = Number(process.env.BENCH_REPORTS ?? 1_000_000);
  const keep = process.env.BENCH_KEEP === '1';
  const reuse = process.env.BENCH_REUSE || undefined;
  const result = await runQueueBench({ databaseUrl, reports, keep, reuse, log: (line) => console.log(line) });
  console.log(JSON.stringify(result, null, 2));
}
