import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import { describeError } from '../errors.js';
import type { Locale } from '../i18n/index.js';
import { INSTANCE_NAME } from '../maintenance/runner.js';
import { readSettings } from '../settings/service.js';
import { openChannelConfig } from './channels.js';
import { renderAlert, renderDigest } from './messages.js';
import { claimDigestCompanions, claimDueAlerts, findChannel, findStaffEmail, markAttemptFailed, markDelivered, type OutboxRow } from './repository.js';
import { createMailTransport, postWebhook, TransportError, type MailTransport } from './transports.js';
import { runDeadlineScan } from './deadlines.js';

/**
 * The outbox worker. Each round claims due rows (FOR UPDATE SKIP LOCKED plus a lease, see
 * repository.ts), so several instances on one database never take the same row; it delivers each,
 * records the outcome only while it still holds the claim, and retries a failure with exponential
 * backoff until `maxAttempts`, after which the row is `failed` with the transport's reason, for
 * admins to see on /staff/admin/alerts.
 */
export type AlertWorkerOptions = {
  readonly db: Kysely<DB>;
  readonly config: Config;
  readonly logger: Logger;
  /** Null when SMTP_URL is not set: e-mail rows wait (and count attempts) until it is. */
  readonly mail: MailTransport | null;
  readonly instance?: string;
  readonly batch?: number;
  readonly leaseMs?: number;
  readonly maxAttempts?: number;
  /** First retry delay; doubled per attempt, capped at maxBackoffMs. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Rows delivered at once within a round. */
  readonly parallel?: number;
};

export type RoundResult = { claimed: number; delivered: number; retried: number; failed: number };

const DEFAULTS = { batch: 50, leaseMs: 120_000, maxAttempts: 8, backoffMs: 30_000, maxBackoffMs: 3600_000, parallel: 4 };

export function retryDelay(attempts: number, base: number, cap: number): number {
  return Math.min(cap, base * 2 ** Math.max(0, attempts - 1));
}

class Permanent extends Error {}

/** One round: claims up to `batch` due rows and delivers them. */
export async function deliverDueAlerts(options: AlertWorkerOptions, now = new Date()): Promise<RoundResult> {
  const o = { ...DEFAULTS, ...options, instance: options.instance ?? INSTANCE_NAME };
  const rows = await claimDueAlerts(o.db, now, o.batch, o.instance, o.leaseMs);
  const result: RoundResult = { claimed: rows.length, delivered: 0, retried: 0, failed: 0 };
  if (rows.length === 0) return result;
  const locale = (await readSettings({ database: { db: o.db }, config: o.config }))['organisation.defaultLocale'] as Locale;
  // One person's digest rows claimed in this round go out as one e-mail.
  const groups = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const key = row.digest && row.staff_id ? `${row.staff_id}:${row.digest}` : row.id;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const queue = [...groups.values()];
  const work = async () => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      const row = group[0]!;
      const ids = group.map((r) => r.id);
      try {
        ids.push(...(await deliverOne(o, group, locale, now)));
        // Read the count first: `x += await y` would add to a stale x while other rows finish.
        const delivered = await markDelivered(o.db, ids, o.instance, new Date());
        result.delivered += delivered;
      } catch (err) {
        const reason = err instanceof TransportError || err instanceof Permanent ? err.message : `error ${describeError(err).name ?? ''}`.trim();
        const permanent = err instanceof Permanent || (err instanceof TransportError && !err.retryable);
        const retryAt = permanent || row.attempts >= o.maxAttempts ? null : new Date(now.getTime() + retryDelay(row.attempts, o.backoffMs, o.maxBackoffMs));
        await markAttemptFailed(o.db, ids, o.instance, { retryAt, reason: retryAt ? reason : `${reason} (after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'})` });
        if (retryAt) result.retried += ids.length;
        else result.failed += ids.length;
        o.logger.warn({ alert: row.id, event: row.event, transport: row.transport, attempts: row.attempts, reason, final: !retryAt }, 'alert delivery failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallel, rows.length) }, work));
  return result;
}

/** Delivers one row (and, for a digest, the person's other due digest rows); returns the companions' ids. */
async function deliverOne(o: AlertWorkerOptions & typeof DEFAULTS & { instance: string }, group: readonly OutboxRow[], locale: Locale, now: Date): Promise<string[]> {
  const row = group[0]!;
  const staffUrl = o.config.staff.url;
  if (row.transport === 'webhook') {
    const channel = row.channel_id ? await findChannel(o.db, row.channel_id) : undefined;
    if (!channel) throw new Permanent('channel deleted');
    if (!channel.enabled) throw new Permanent('channel disabled');
    const config = openChannelConfig(o.config.secrets, channel.id, channel.kind, new Uint8Array(channel.config_sealed));
    await postWebhook(channel.kind, config, renderAlert(locale, row, staffUrl), new Date());
    return [];
  }
  const person = row.staff_id ? await findStaffEmail(o.db, row.staff_id) : undefined;
  if (!person || person.status !== 'active') throw new Permanent('recipient not active');
  if (!person.email) throw new Permanent('recipient has no e-mail address');
  if (!o.mail) throw new TransportError('smtp not configured (SMTP_URL)');
  if (row.digest && row.staff_id) {
    const companions = await claimDigestCompanions(o.db, row.staff_id, row.digest, now, o.instance, o.leaseMs);
    await o.mail.send(person.email, renderDigest(locale, [...group, ...companions], staffUrl));
    return companions.map((c) => c.id);
  }
  await o.mail.send(person.email, renderAlert(locale, row, staffUrl));
  return [];
}

export type AlertWorker = { stop(): Promise<void>; /** Runs a round now (tests, the CLI). */ kick(): Promise<void> };

/**
 * Polls every `pollMs` (ALERT_POLL_MS): drains due alerts in rounds, and gives the deadline scan
 * its chance (it runs once per minute across all instances, see deadlines.ts). Stopped on shutdown
 * after the round in progress ends.
 */
export function startAlertWorker(ctx: { config: Config; database: { db: Kysely<DB> }; logger: Logger }, overrides: Partial<AlertWorkerOptions> = {}): AlertWorker {
  const { config, logger } = ctx;
  const mail = overrides.mail !== undefined ? overrides.mail : config.alerts.smtpUrl ? createMailTransport(config.alerts.smtpUrl, config.alerts.mailFrom) : null;
  const options: AlertWorkerOptions = { db: ctx.database.db, config, logger, ...overrides, mail };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const round = async () => {
    try {
      await runDeadlineScan({ db: options.db, config, logger });
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'deadline scan failed');
    }
    try {
      for (let i = 0; i < 100 && !stopped; i++) {
        const r = await deliverDueAlerts(options);
        if (r.claimed < (options.batch ?? DEFAULTS.batch)) break;
      }
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'alert round failed');
    }
  };
  const tick = () => {
    running = round().finally(() => {
      if (!stopped) {
        timer = setTimeout(tick, config.alerts.pollMs);
        timer.unref();
      }
    });
  };
  timer = setTimeout(tick, Math.min(1000, config.alerts.pollMs));
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      mail?.close();
    },
    async kick() {
      await running;
      await round();
    },
  };
}
