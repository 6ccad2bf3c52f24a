import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Configuration is read from the environment exactly once, validated, and frozen.
 * A bad value stops the process at start with a message naming the variable,
 * rather than surfacing later as a confusing runtime failure.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = z.coerce.number().int().positive();
const port = z.coerce.number().int().min(0).max(65535);
const origin = z.url({ protocol: /^https?$/ });

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: origin.optional(),
  STAFF_PORT: port.default(3001),
  STAFF_HOST: z.string().min(1).default('127.0.0.1'),
  STAFF_URL: origin.optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  DATA_DIR: z.string().min(1).default('./data'),
  SECRETS_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().default('false'),
  BODY_LIMIT_KB: positiveInt.default(256),
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(1024).default(65536),
  ARGON2_ITERATIONS: z.coerce.number().int().min(1).default(3),
  ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(16).default(1),
  ARGON2_MAX_CONCURRENT: positiveInt.default(2),
  MIGRATE_ON_START: bool.default(true),
  SLA_CRITICAL_TRIAGE_MINUTES: positiveInt.default(60),
  SLA_ACK_HOURS: positiveInt.default(24),
  SLA_FEEDBACK_DAYS: positiveInt.default(30),
  REFERRAL_REQUIRES_APPROVAL: bool.default(false),
  STATS_MIN_CELL: z.coerce.number().int().min(2).max(100).default(5),
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash and underscore, at most 64').optional(),
  AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  MAINTENANCE_INTERVAL_SECONDS: positiveInt.default(300),
  UPLOAD_IDLE_TIMEOUT_SECONDS: positiveInt.default(60),
  // Half the cores by default: the other half stays free for argon2id, so sign-in is never starved.
  IMAGE_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(Math.max(1, Math.floor(availableParallelism() / 2))),
  IMAGE_QUEUE_LENGTH: z.coerce.number().int().min(0).max(1000).default(16),
  RETENTION_UNFOUNDED_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
  RETENTION_REFERRED_DAYS: z.coerce.number().int().min(30).max(3650).default(1095),
  RETENTION_OTHER_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  // Alerts: e-mail over SMTP, and how often the outbox worker looks for due alerts.
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  SMTP_URL_FILE: z.string().min(1).optional(),
  MAIL_FROM: z.string().min(3).default('ParcelGuard <parcelguard@localhost>'),
  ALERT_POLL_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  DEMO: bool.default(false),
});

const secretsSchema = z.object({
  csrfSecret: z.string().min(43),
  blindIndexKey: z.string().min(43),
  rateLimitKey: z.string().min(43),
  receiptPepper: z.string().min(43),
});

export type ServerSecrets = {
  /** Signs double-submit CSRF tokens. */
  readonly csrfSecret: string;
  /** HMAC key of the waybill / phone blind indexes. Losing it breaks linking of new to old reports. */
  readonly blindIndexKey: Uint8Array;
  /** Keys the daily-rotating hash of client addresses used by rate limits. */
  readonly rateLimitKey: Uint8Array;
  /**
   * Mixed into the salt of receipt derivations, so that a thief holding only the database cannot
   * even start guessing receipts. Losing it means reporters can no longer log in with their receipts
   * (the reports themselves stay readable by reviewers): back it up with the rest of this file.
   */
  readonly receiptPepper: Uint8Array;
};

/** Where one of the two apps listens, and the origin people reach it at. */
export type Site = {
  readonly host: string;
  readonly port: number;
  /** The origin used in every link that sends someone to this app (PUBLIC_URL / STAFF_URL). */
  readonly url: URL;
  /** True when the origin is https: cookies then carry Secure and the __Host- prefix, and HSTS is sent. */
  readonly secure: boolean;
};

export type Config = {
  readonly env: 'development' | 'production' | 'test';
  /** The reporting site: landing, guide, report form, follow-up, employee pages. On the internet. */
  readonly public: Site;
  /** The staff workspace, everything under /staff. On loopback by default; publish it only on an internal network or VPN. */
  readonly staff: Site;
  readonly database:
    | { readonly driver: 'pg'; readonly url: string; readonly poolSize: number }
    | { readonly driver: 'pglite'; readonly dataDir: string };
  readonly dataDir: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly trustProxy: boolean | number | string;
  readonly bodyLimitBytes: number;
  readonly argon2: {
    readonly memoryKiB: number;
    readonly iterations: number;
    readonly parallelism: number;
    readonly maxConcurrent: number;
  };
  readonly migrateOnStart: boolean;
  /** How often housekeeping runs, once per period across all instances. */
  readonly maintenanceIntervalMs: number;
  /** Service-level timers set on every new report (DESIGN §5). */
  readonly sla: {
    /** Immediate-danger tips must be triaged within this many minutes. */
    readonly criticalTriageMinutes: number;
    /** Other tips must be acknowledged within this many hours. */
    readonly ackHours: number;
    /** The reporter hears back at least this often, in days. */
    readonly feedbackDays: number;
  };
  /** Four-eyes: a referral to the authorities counts only once a second reviewer approves it. */
  readonly referralRequiresApproval: boolean;
  /** Statistics show no count from 1 to one below this (the default of 'statistics.minimumCell'). */
  readonly statsMinCell: number;
  /** Names this process's audit checkpoint file; unique per running instance. */
  readonly instanceId: string;
  /** How often the audit chain's head is checkpointed outside the database (when it moved). */
  readonly auditCheckpointSeconds: number;
  /** A file-carrying body that sends nothing for this long is cut off. */
  readonly uploadIdleTimeoutMs: number;
  /** Photos re-encoded at once, and how many more may wait; past that a form with a photo answers 503. */
  readonly images: { readonly concurrency: number; readonly queueLength: number };
  readonly secrets: ServerSecrets;
  /** Days a closed case is kept before it is crypto-shredded, by outcome (server/core/retention). */
  readonly retention: { readonly unfoundedDays: number; readonly referredDays: number; readonly otherDays: number };
  /** Alerts: SMTP (null: e-mail alerts stay queued until it is set) and the outbox worker's poll interval. */
  readonly alerts: { readonly smtpUrl: string | null; readonly mailFrom: string; readonly pollMs: number };
  /** `npm run demo`: every page shows a banner saying the data is invented. */
  readonly demo: boolean;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Parses the environment. Throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const parsed = envSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.PORT !== 0 && e.PORT === e.STAFF_PORT && e.HOST === e.STAFF_HOST) {
    throw new ConfigError('Invalid configuration:\n  STAFF_PORT: the staff workspace needs its own listener; it equals PORT on the same host');
  }
  const dataDir = resolve(e.DATA_DIR);
  const config: Config = {
    env: e.NODE_ENV,
    public: site(e.HOST, e.PORT, e.PUBLIC_URL),
    staff: site(e.STAFF_HOST, e.STAFF_PORT, e.STAFF_URL),
    database: e.DATABASE_URL
      ? { driver: 'pg', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
      : { driver: 'pglite', dataDir: resolve(dataDir, 'pglite') },
    dataDir,
    logLevel: e.LOG_LEVEL,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    bodyLimitBytes: e.BODY_LIMIT_KB * 1024,
    argon2: {
      memoryKiB: e.ARGON2_MEMORY_KIB,
      iterations: e.ARGON2_ITERATIONS,
      parallelism: e.ARGON2_PARALLELISM,
      maxConcurrent: e.ARGON2_MAX_CONCURRENT,
    },
    migrateOnStart: e.MIGRATE_ON_START,
    maintenanceIntervalMs: e.MAINTENANCE_INTERVAL_SECONDS * 1000,
    sla: {
      criticalTriageMinutes: e.SLA_CRITICAL_TRIAGE_MINUTES,
      ackHours: e.SLA_ACK_HOURS,
      feedbackDays: e.SLA_FEEDBACK_DAYS,
    },
    referralRequiresApproval: e.REFERRAL_REQUIRES_APPROVAL,
    statsMinCell: e.STATS_MIN_CELL,
    instanceId: e.INSTANCE_ID ?? defaultInstanceId(),
    auditCheckpointSeconds: e.AUDIT_CHECKPOINT_SECONDS,
    uploadIdleTimeoutMs: e.UPLOAD_IDLE_TIMEOUT_SECONDS * 1000,
    images: { concurrency: e.IMAGE_CONCURRENCY, queueLength: e.IMAGE_QUEUE_LENGTH },
    retention: { unfoundedDays: e.RETENTION_UNFOUNDED_DAYS, referredDays: e.RETENTION_REFERRED_DAYS, otherDays: e.RETENTION_OTHER_DAYS },
    demo: e.DEMO,
    secrets: loadSecrets(e.SECRETS_FILE ? resolve(e.SECRETS_FILE) : resolve(dataDir, 'secrets.json')),
    alerts: { smtpUrl: smtpUrl(e.SMTP_URL, e.SMTP_URL_FILE), mailFrom: e.MAIL_FROM, pollMs: e.ALERT_POLL_MS },
  };
  return deepFreeze(config);
}

/** SMTP_URL, or the first line of SMTP_URL_FILE (so the password stays out of the environment). */
function smtpUrl(url: string | undefined, file: string | undefined): string | null {
  if (url && file) throw new ConfigError('Invalid configuration:\n  SMTP_URL_FILE: set SMTP_URL or SMTP_URL_FILE, not both');
  if (!file) return url ?? null;
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8').split(/\r?\n/)[0]!.trim();
  } catch (err) {
    throw new ConfigError(`SMTP_URL_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!/^smtps?:\/\//.test(text)) throw new ConfigError('Invalid configuration:\n  SMTP_URL_FILE: the file must hold an smtp:// or smtps:// URL');
  return text;
}

function site(host: string, port: number, url: string | undefined): Site {
  // An IPv6 literal needs brackets in a URL.
  const origin = new URL(url ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  return { host, port, url: origin, secure: origin.protocol === 'https:' };
}

/** The host name, cut to what a file name allows; set INSTANCE_ID when one host runs several instances. */
function defaultInstanceId(): string {
  const name = hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return name || 'instance';
}

function stripEmpty(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'false' || value === '0') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // an address list or preset understood by Express ('loopback', '10.0.0.0/8', …)
}

/**
 * Server secrets live in a JSON file (shared by every app instance). On first start the file is
 * created with fresh random values and 0600 permissions; afterwards it is only read.
 */
function loadSecrets(path: string): ServerSecrets {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fresh = {
      csrfSecret: randomBytes(32).toString('base64url'),
      blindIndexKey: randomBytes(32).toString('base64url'),
      rateLimitKey: randomBytes(32).toString('base64url'),
      receiptPepper: randomBytes(32).toString('base64url'),
    };
    // 'wx' fails if another instance created it first; then we read theirs.
    try {
      writeFileSync(path, JSON.stringify(fresh, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`SECRETS_FILE: cannot read ${path}: ${(err as Error).message}`);
  }
  const parsed = secretsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`SECRETS_FILE: ${path} is malformed (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
  }
  return {
    csrfSecret: parsed.data.csrfSecret,
    blindIndexKey: Buffer.from(parsed.data.blindIndexKey, 'base64url'),
    rateLimitKey: Buffer.from(parsed.data.rateLimitKey, 'base64url'),
    receiptPepper: Buffer.from(parsed.data.receiptPepper, 'base64url'),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof URL) && !ArrayBuffer.isView(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** For the entry points (server, demo): the configuration, or its message on stderr and exit 78 (EX_CONFIG). */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
}
