/**
 * Statistics benchmark at scale: a fresh PostgreSQL database with N synthetic reports (default
 * 1,000,000 over two years, ~1,400 a day) with referrals and first-feedback times, then p50/p95 of
 * /staff/stats over HTTP (default range: the last 12 weeks, ~115,000 tips; a filtered range; a full
 * year) and of the monthly report, with a signed-in reviewer. Target: p95 < 300 ms.
 *
 * Rows are plaintext metadata with dummy sealed blobs, generated with generate_series, secondary
 * indexes rebuilt after the load (as bench/queue.ts does). The load runs with triggers off, so the
 * daily roll-up is then built for every day at once (timed: rollupBuildSeconds).
 * `npx tsx bench/stats.ts` prints the figures (BENCH_REPORTS sets N; BENCH_KEEP=1 keeps the database and
 * logs its name; BENCH_REUSE=<name> measures such a kept database again, after migrating it and
 * rebuilding its roll-up, without generating); runStatsBench is what `npm run bench -- stats` calls.
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
import { Kdf, cryptoReady, generateBoxKeyPair } from '../server/core/crypto/index.js';
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
import { auditKeysFrom, withAuditKeys } from '../server/core/audit/keys.js';
import { CATEGORY_CODES } from '../server/core/intake/taxonomy.js';
import { PROVINCE_CODES } from '../server/core/reports/model.js';
import { beijingDay, shiftDay, statsQuerySchema } from '../server/core/stats/schema.js';
import { clearChartCache } from '../server/core/stats/charts.js';
import { loadStatistics } from '../server/core/stats/service.js';
import { refreshStaleDays } from '../server/core/stats/rollup.js';
import { DEFAULT_SLA_POLICY } from '../server/core/queue/sla.js';
import { adminQuery, countReports } from './admin.js';
import { round, timed } from './timing.js';

export type StatsBenchOptions = {
  databaseUrl: string;
  reports: number;
  iterations?: number;
  log?: (line: string) => void;
  /** Keep the database afterwards (its name is logged), to measure again or inspect plans. */
  keep?: boolean;
  /** A database kept by an earlier run: skip generation, migrate it, rebuild the roll-up and measure. */
  reuse?: string;
};

const CHUNK = 100_000;

export async function runStatsBench(opts: StatsBenchOptions): Promise<Record<string, number>> {
  const log = opts.log ?? (() => {});
  await cryptoReady();
  const name = opts.reuse ?? `bench_stats_${randomBytes(4).toString('hex')}`;
  if (!opts.reuse) await adminQuery(opts.databaseUrl, `create database ${name}`);
  const url = new URL(opts.databaseUrl);
  url.pathname = `/${name}`;
  const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: url.toString(), DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parcelguard-bench-')), LOG_LEVEL: 'warn' });
  const opened: Database = openPostgres(url.toString(), 10);
  const database: Database = { ...opened, db: withAuditKeys(opened.db, auditKeysFrom(config.secrets)) };
  try {
    await migrateToLatest(database.db);
    const kdf = new Kdf(config.argon2);
    await ensureInstallation(database.db, kdf.currentCost(), config.secrets.receiptPepper);
    const ctx: AppContext = { config, database, logger: createLogger(config.logLevel), kdf, images: new ImageJobs(config.images) };
    const pair = generateBoxKeyPair();
    const staffId = randomUUID();
    await database.db.insertInto('staff').values({ id: staffId, username: `bench-reviewer-${staffId.slice(0, 8)}`, role: 'reviewer', status: 'active', public_key: pair.publicKey }).execute();
    const cookie = await createSession(database.db, 'staff', staffId, pair.privateKey);
    const started = performance.now();
    if (!opts.reuse) await generate(url.toString(), opts.reports, staffId, log);
    const generateSeconds = (performance.now() - started) / 1000;
    const reports = await countReports(database.db);
    if (!opts.reuse) log(`generated ${reports} reports in ${generateSeconds.toFixed(1)} s`);
    // The load ran with triggers off: mark every day stale and time the roll-up's first build.
    const built = performance.now();
    await sql`insert into stats_stale_days (day) select distinct ((created_at at time zone 'UTC') + interval '8 hours')::date from reports on conflict do nothing`.execute(database.db);
    const days = await refreshStaleDays(database.db);
    const rollupSeconds = (performance.now() - built) / 1000;
    log(`daily roll-up of ${days} days built in ${rollupSeconds.toFixed(1)} s`);
    // A full build deletes and rewrites every roll-up row at once; on a live server autovacuum then
    // clears the old versions and refreshes the planner's statistics within minutes. Measure that
    // steady state, not the minutes right after the build.
    // identity_requests too: on a kept database, migration 20261204_1200 rewrote every row.
    for (const table of ['stats_daily', 'stats_timing_hist', 'stats_timing_hist_by', 'stats_fb_pending', 'stats_fb_pending_by', 'identity_requests']) await sql`vacuum analyze ${sql.table(table)}`.execute(database.db);
    const figures = await measureHttp(ctx, cookie, opts.iterations ?? 60, log);
    return { reports, ...(opts.reuse ? {} : { generateSeconds: round(generateSeconds) }), rollupBuildSeconds: round(rollupSeconds), ...figures };
  } finally {
    await database.close();
    if (opts.keep) log(`kept database ${name}`);
    else await adminQuery(opts.databaseUrl, `drop database if exists ${name} with (force)`);
  }
}

async function generate(url: string, count: number, staffId: string, log: (line: string) => void): Promise<void> {
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  try {
    await sql`set synchronous_commit = off`.execute(db);
    await sql`set session_replication_role = replica`.execute(db).catch(() => undefined);
    await sql`set maintenance_work_mem = '512MB'`.execute(db);
    // Replica mode also silences identity_requests' copy of its report's columns: the insert below sets them.
    await sql`alter table reports disable trigger user`.execute(db);
    const { rows } = await sql<{ name: string; def: string }>`
      select i.indexname as name, i.indexdef as def from pg_indexes i
      where i.tablename = 'reports' and i.schemaname = current_schema()
        and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`.execute(db);
    for (const r of rows) await sql`drop index ${sql.id(r.name)}`.execute(db);
    for (let lo = 1; lo <= count; lo += CHUNK) {
      await insertChunk(db, lo, Math.min(count, lo + CHUNK - 1), count);
      log(`  reports ${Math.min(count, lo + CHUNK - 1)}/${count}`);
    }
    for (const r of rows) await sql.raw(r.def).execute(db);
    await sql`
      insert into referrals (id, report_id, channel, referred_at, status, details_sealed, created_by, created_at)
      select gen_random_uuid(), id, (array['hotline_12339','web_12339','state_security_bureau','police_110','other'])[1 + (abs(hashtext(id::text)) % 5)],
        acknowledged_at, 'referred', decode('00', 'hex'), ${staffId}, acknowledged_at
      from reports where referral_status = 'referred'`.execute(db);
    await sql`
      insert into identity_requests (id, report_id, requester_id, reason_sealed, status, created_at, channel, province, categories)
      select gen_random_uuid(), id, ${staffId}, decode('00', 'hex'), case when random() < 0.7 then 'approved' else 'denied' end, acknowledged_at,
        channel, province, categories
      from reports where identity_present and random() < 0.05 and acknowledged_at is not null`.execute(db);
    await sql`alter table reports enable trigger user`.execute(db);
    await sql`set session_replication_role = default`.execute(db).catch(() => undefined);
    await sql`vacuum analyze reports`.execute(db);
    await sql`vacuum analyze referrals`.execute(db);
    await sql`vacuum analyze identity_requests`.execute(db);
  } finally {
    await db.destroy();
  }
}

/** Report i is i/count of two years old; older ones mostly closed; 10% referred; 1 in 3 acknowledged ones has a first feedback. */
async function insertChunk(db: Kysely<DB>, lo: number, hi: number, count: number): Promise<void> {
  await sql`
    with base as (
      select i, random() a, random() b, random() c, random() o, random() p, random() v, random() y, random() z,
             now() - (i::float8 / ${count}) * interval '730 days' - random() * interval '1 hour' as created_at
      from generate_series(${lo}::int, ${hi}::int) i
    ), st as (
      select *, case when extract(epoch from now() - created_at) / 86400 > 60 then case when z < 0.95 then 'closed' else 'in_review' end
                     when z < 0.1 then 'new' when z < 0.6 then 'in_review' when z < 0.7 then 'referred' else 'closed' end as status
      from base
    )
    insert into reports (id, case_number, channel, status, outcome, severity, categories, province, immediate_danger,
      identity_present, payload_sealed, reporter_public_key, created_at, updated_at, acknowledged_at, triage_due_at, feedback_due_at,
      closed_at, first_feedback_at, referral_status)
    select gen_random_uuid(), 'PG-S' || lpad(upper(to_hex(i)), 7, '0'),
      case when c < 0.75 then 'public' else 'employee' end, status,
      case when status = 'closed' then (array['referred_to_authority','handled_internally','unfounded','duplicate','insufficient_information','withdrawn'])[1 + floor(o * 6)::int] end,
      case when v < 0.02 then 'critical' when v < 0.12 then 'high' when v < 0.85 then 'normal' else 'low' end,
      array[(${[...CATEGORY_CODES]}::text[])[1 + floor(power(a, 2) * 20)::int]],
      (${[...PROVINCE_CODES]}::text[])[1 + floor(power(p, 1.5) * 34)::int],
      v < 0.02, c >= 0.75 or b < 0.1,
      decode(repeat('ab', 120), 'hex'), decode(repeat('cd', 32), 'hex'),
      created_at, created_at,
      case when status <> 'new' then created_at + y * interval '30 hours' end,
      created_at + case when v < 0.02 then interval '1 hour' else interval '24 hours' end,
      created_at + interval '30 days',
      case when status = 'closed' then created_at + o * interval '40 days' end,
      case when status <> 'new' and b < 0.33 then created_at + y * interval '30 hours' + b * interval '40 days' end,
      case when status = 'referred' or (status = 'closed' and o < 1.0 / 6) then 'referred' end
    from st`.execute(db);
}

async function measureHttp(ctx: AppContext, cookie: string, iterations: number, log: (line: string) => void): Promise<Record<string, number>> {
  const server: Server = createServer(createStaffApp(ctx));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const today = beijingDay(new Date());
  const lastMonth = shiftDay(`${today.slice(0, 7)}-01`, -1).slice(0, 7);
  const paths: Record<string, string> = {
    stats_default: '/staff/stats',
    stats_filtered: `/staff/stats?from=${shiftDay(today, -180)}&to=${today}&channel=public&province=GD&category=drugs`,
    // A filter without a province: no index narrows the range; the timing figures come from the roll-up.
    stats_filtered_category: `/staff/stats?from=${shiftDay(today, -180)}&to=${today}&category=drugs`,
    stats_year: `/staff/stats?from=${shiftDay(today, -364)}&to=${today}`,
    stats_monthly: `/staff/stats/monthly?month=${lastMonth}`,
  };
  const out: Record<string, number> = {};
  try {
    for (const [name, p] of Object.entries(paths)) {
      if (name !== 'stats_monthly') {
        const filter = statsQuerySchema.parse(Object.fromEntries(new URL(base + p).searchParams));
        const q = await timed(iterations, () => loadStatistics(ctx.database.db, filter, DEFAULT_SLA_POLICY), 5);
        Object.assign(out, { [`queries_${name}_p50_ms`]: q.p50, [`queries_${name}_p95_ms`]: q.p95 });
        log(`queries ${name}: p50 ${q.p50} ms, p95 ${q.p95} ms`);
      }
      const get = async () => {
        const res = await fetch(base + p, { headers: { cookie: `pg_staff=${cookie}` }, redirect: 'manual' });
        if (res.status !== 200) throw new Error(`GET ${p} answered ${res.status}`);
        await res.arrayBuffer();
      };
      // Warm: the charts of these figures were drawn before (the usual case: a page viewed again,
      // by another person, until the next tip changes a figure). Cold: every chart drawn anew.
      const warm = await timed(iterations, get, 5);
      Object.assign(out, { [`http_${name}_p50_ms`]: warm.p50, [`http_${name}_p95_ms`]: warm.p95 });
      log(`http ${name}: p50 ${warm.p50} ms, p95 ${warm.p95} ms`);
      const cold = await timed(Math.max(10, Math.floor(iterations / 3)), async () => {
        clearChartCache();
        await get();
      }, 5);
      Object.assign(out, { [`http_${name}_cold_charts_p50_ms`]: cold.p50, [`http_${name}_cold_charts_p95_ms`]: cold.p95 });
      log(`http ${name}, charts drawn anew: p50 ${cold.p50} ms, p95 ${cold.p95} ms`);
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const reports = Number(process.env.BENCH_REPORTS ?? 1_000_000);
  const keep = process.env.BENCH_KEEP === '1';
  const reuse = process.env.BENCH_REUSE || undefined;
  const result = await runStatsBench({ databaseUrl, reports, keep, reuse, log: (line) => console.log(line) });
  console.log(JSON.stringify(result, null, 2));
}
