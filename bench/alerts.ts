import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { sql } from 'kysely';
import type { AddressInfo } from 'node:net';
import { Kdf, cryptoReady, generateBoxKeyPair, type Argon2Params } from '../server/core/crypto/index.js';
import { ImageJobs } from '../server/core/images/jobs.js';
import { loadConfig } from '../server/core/config.js';
import { createLogger } from '../server/core/logger.js';
import { openPostgres } from '../server/core/db/index.js';
import { auditKeysFrom, withAuditKeys } from '../server/core/audit/keys.js';
import { migrateToLatest } from '../server/core/db/migrator.js';
import { ensureInstallation } from '../server/core/installation/repository.js';
import { submitReport, type SubmitReportInput } from '../server/core/reports/service.js';
import { createMailTransport } from '../server/core/alerts/transports.js';
import { deliverDueAlerts } from '../server/core/alerts/worker.js';
import { recordAlertEvent } from '../server/core/alerts/events.js';
import { adminQuery } from './admin.js';

export type AlertsBenchOptions = { databaseUrl: string; argon2: Argon2Params; submissions?: number; queued?: number };
export type AlertsBenchResult = {
  /** Median in-process submission time with nobody to alert, and with 5 recipients (urgent tips), ms. */
  submitP50WithoutAlertsMs: number;
  submitP50WithAlertsMs: number;
  /** Median of the paired differences (with − without, same pair) over the median without. Target: < 5 %. */
  submissionOverhead: number;
  /** The middle half of the paired differences, ms: how much the noise swamps the difference. */
  pairedDifferenceIqrMs: [number, number];
  pairs: number;
  /** The alert write alone (recordAlertEvent for that tip, 5 rows, inside a transaction), median ms. */
  alertWriteP50Ms: number;
  /** alertWriteP50Ms over the median submission without alerts: the added work, free of submission noise. */
  alertWriteShare: number;
  queued: number;
  drainSeconds: number;
  drainPerSecond: number;
};

class RolledBack extends Error {}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Alerts: what writing the outbox rows adds to a submission (the same urgent tip filed with five key
 * holders who have no address, then with addresses: 0 vs 5 alert rows, alternated), and how long
 * 1,000 queued alerts take to drain to a local SMTP server through the real worker.
 */
export async function runAlertsBench(opts: AlertsBenchOptions): Promise<AlertsBenchResult> {
  await cryptoReady();
  const name = `bench_alerts_${randomBytes(4).toString('hex')}`;
  await adminQuery(opts.databaseUrl, `create database ${name}`);
  const url = new URL(opts.databaseUrl);
  url.pathname = `/${name}`;
  let received = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}?ignoreTLS=true`;
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: url.toString(),
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parcelguard-bench-')),
    LOG_LEVEL: 'warn',
    SMTP_URL: smtpUrl,
    ARGON2_MEMORY_KIB: String(opts.argon2.memoryKiB),
    ARGON2_ITERATIONS: String(opts.argon2.iterations),
    ARGON2_PARALLELISM: String(opts.argon2.parallelism),
    ARGON2_MAX_CONCURRENT: String(opts.argon2.maxConcurrent),
  });
  const opened = openPostgres(url.toString(), 10);
  const database = { ...opened, db: withAuditKeys(opened.db, auditKeysFrom(config.secrets)) };
  const mail = createMailTransport(smtpUrl, config.alerts.mailFrom);
  try {
    await migrateToLatest(database.db);
    const kdf = new Kdf(config.argon2);
    await ensureInstallation(database.db, kdf.currentCost(), config.secrets.receiptPepper);
    const logger = createLogger(config.logLevel);
    const ctx = { config, database, logger, kdf, images: new ImageJobs(config.images) };
    const staff = Array.from({ length: 5 }, (_, i) => ({
      id: randomUUID(),
      username: `bench-alerts-${i}`,
      role: 'reviewer' as const,
      status: 'active' as const,
      is_custodian: i === 0,
      public_key: generateBoxKeyPair().publicKey,
      key_approval: 'cli' as const,
      key_approved_at: new Date(),
      key_holder_since: new Date(),
    }));
    await database.db.insertInto('staff').values(staff).execute();
    const input: SubmitReportInput = {
      reporter: { kind: 'anonymous' },
      categories: ['explosives'],
      description: '包裹内疑似有导线和电池。',
      immediateDanger: true,
      parcel: { waybillNumbers: [], direction: 'outbound_international', noticedHow: 'acceptance_inspection' },
      province: 'GD',
      identity: null,
      attachments: [],
    };
    const setEmails = (on: boolean) => database.db.updateTable('staff').set({ email: on ? sql<string>`username || '@bench.test'` : null }).execute();
    const without: number[] = [];
    const withAlerts: number[] = [];
    // Pairs, alternating the order inside each: slow drift of a shared machine falls on both sides.
    const n = opts.submissions ?? 40;
    await submitReport(ctx, null, input); // warm-up
    for (let i = 0; i < n; i++) {
      for (const on of i % 2 === 0 ? [false, true] : [true, false]) {
        await setEmails(on);
        const started = performance.now();
        await submitReport(ctx, null, input);
        (on ? withAlerts : without).push(performance.now() - started);
      }
    }
    await database.db.deleteFrom('alert_outbox').execute();
    await setEmails(true);

    // The added work measured alone: the same event for a filed tip, in a transaction rolled back.
    const tip = await database.db.selectFrom('reports').select('id').limit(1).executeTakeFirstOrThrow();
    const writes: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await database.db
        .transaction()
        .execute(async (trx) => {
          await recordAlertEvent(trx, { type: 'report.received', reportId: tip.id });
          writes.push(performance.now() - t0);
          throw new RolledBack();
        })
        .catch((e: unknown) => {
          if (!(e instanceof RolledBack)) throw e;
        });
    }

    const queued = opts.queued ?? 1000;
    const now = new Date();
    const rows = Array.from({ length: queued }, (_, i) => ({
      event: 'keyholder.awaiting_approval',
      transport: 'email' as const,
      staff_id: staff[i % staff.length]!.id,
      next_attempt_at: now,
      created_at: now,
    }));
    await database.db.insertInto('alert_outbox').values(rows).execute();
    const started = performance.now();
    for (;;) {
      const r = await deliverDueAlerts({ db: database.db, config, logger, mail, batch: 100, parallel: 8 });
      if (r.claimed === 0) break;
    }
    const drainSeconds = (performance.now() - started) / 1000;
    if (received < queued) throw new Error(`only ${received} of ${queued} alerts reached the SMTP server`);
    const p50Without = median(without);
    const p50With = median(withAlerts);
    const differences = withAlerts.map((w, i) => w - without[i]!).sort((a, b) => a - b);
    const quartile = (q: number) => Number(differences[Math.floor(q * (differences.length - 1))]!.toFixed(1));
    return {
      submitP50WithoutAlertsMs: Number(p50Without.toFixed(1)),
      submitP50WithAlertsMs: Number(p50With.toFixed(1)),
      submissionOverhead: Number((median(differences) / p50Without).toFixed(4)),
      pairedDifferenceIqrMs: [quartile(0.25), quartile(0.75)],
      pairs: n,
      alertWriteP50Ms: Number(median(writes).toFixed(2)),
      alertWriteShare: Number((median(writes) / p50Without).toFixed(4)),
      queued,
      drainSeconds: Number(drainSeconds.toFixed(2)),
      drainPerSecond: Number((queued / drainSeconds).toFixed(0)),
    };
  } finally {
    mail.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await database.close();
    await adminQuery(opts.databaseUrl, `drop database if exists ${name} with (force)`);
  }
}
