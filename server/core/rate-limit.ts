import { sql, type Kysely } from 'kysely';
import type { DB } from './db/schema.js';
import { rateLimitBucketKey, rateLimitCounterKey, type SecretRoots } from './crypto/index.js';

/**
 * Counters in the database, so every app instance shares them: one atomic statement per attempt
 * on either driver. (rate-limiter-flexible's PostgreSQL store needs a `pg` pool and cannot run on
 * embedded PGlite.)
 *
 * - Sliding windows: the count is this window's hits plus the previous window's, weighted by how
 *   much of it still lies inside the last `windowSeconds` (the "sliding window counter"). No
 *   budget refills at a boundary, so nobody gets twice the limit by straddling one.
 * - Counted before the work, only when allowed: `takeRateLimit` adds the hit in the same statement
 *   that checks the room left, so a burst of parallel requests cannot all pass a check that only
 *   counted finished ones; a refused request is not counted, so hammering a closed door does not
 *   keep it closed for others sharing the counter.
 * - Keys: HMAC(bucket key, day of the window's start | subject) (crypto/subkeys.ts). The bucket key
 *   differs per bucket, so one client's rows in two buckets cannot be matched (a reporter's report
 *   counter against a staff sign-in counter); the day is the WINDOW's, so the previous window of a
 *   window that starts at 00:00 UTC is still found under yesterday's key and counts carry across
 *   the daily rotation.
 */
export type RateLimitRule = { readonly bucket: string; readonly limit: number; readonly windowSeconds: number };

export type RateLimitVerdict =
  | { readonly allowed: true; release(): Promise<void> }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/** What counting needs: the database and the secrets the counter keys are derived from. */
export type LimitDeps = { readonly db: Kysely<DB>; readonly config: { readonly secrets: SecretRoots } };

/** The deps of an app context (`ctx.database.db`, `ctx.config`). */
export function limitsOf(ctx: { readonly database: { readonly db: Kysely<DB> }; readonly config: { readonly secrets: SecretRoots } }): LimitDeps {
  return { db: ctx.database.db, config: ctx.config };
}

type Window = { readonly start: Date; readonly key: string };

function windowAt(deps: LimitDeps, rule: RateLimitRule, subject: string, startMs: number): Window {
  const start = new Date(startMs);
  const bucketKey = rateLimitBucketKey(deps.config.secrets, rule.bucket);
  return { start, key: rateLimitCounterKey(bucketKey, start.toISOString().slice(0, 10), subject) };
}

async function hitsIn(db: Kysely<DB>, bucket: string, window: Window): Promise<number> {
  const row = await db
    .selectFrom('rate_limits')
    .select('hits')
    .where('bucket', '=', bucket)
    .where('key', '=', window.key)
    .where('window_start', '=', window.start)
    .executeTakeFirst();
  return row ? Number(row.hits) : 0;
}

/** Seconds until one more hit would fit, if nothing else is counted meanwhile. */
function secondsUntilRoom(previous: number, current: number, cap: number, nowMs: number, startMs: number, windowMs: number): number {
  let at: number;
  if (current + 1 <= cap && previous > 0) at = startMs + windowMs * (1 - (cap - 1 - current) / previous);
  else at = startMs + windowMs + windowMs * Math.max(0, 1 - (cap - 1) / Math.max(current, 1));
  return Math.max(1, Math.ceil((at - nowMs) / 1000));
}

/**
 * Counts one attempt for `subject` if the sliding count stays within `cap` (default: the rule's
 * limit). Allowed attempts may `release()` their hit later (a sign-in that succeeded), so that the
 * limits count failures while still being reserved before any expensive work.
 */
export async function takeRateLimit(deps: LimitDeps, rule: RateLimitRule, subject: string, now = new Date(), cap = rule.limit): Promise<RateLimitVerdict> {
  const windowMs = rule.windowSeconds * 1000;
  const startMs = Math.floor(now.getTime() / windowMs) * windowMs;
  const current = windowAt(deps, rule, subject, startMs);
  const previous = await hitsIn(deps.db, rule.bucket, windowAt(deps, rule, subject, startMs - windowMs));
  const weight = 1 - (now.getTime() - startMs) / windowMs;
  const room = Math.floor(cap - previous * weight + 1e-9);
  const expiresAt = new Date(startMs + 2 * windowMs);
  const { rows } =
    room >= 1
      ? await sql<{ hits: number }>`
          insert into rate_limits (bucket, key, window_start, hits, expires_at)
          values (${rule.bucket}, ${current.key}, ${current.start}, 1, ${expiresAt})
          on conflict (bucket, key, window_start) do update set hits = rate_limits.hits + 1
          where rate_limits.hits < ${room}
          returning hits`.execute(deps.db)
      : { rows: [] };
  if (rows.length === 0) {
    const hits = await hitsIn(deps.db, rule.bucket, current);
    return { allowed: false, retryAfterSeconds: secondsUntilRoom(previous, hits, cap, now.getTime(), startMs, windowMs) };
  }
  return { allowed: true, release: () => releaseHit(deps.db, rule.bucket, current) };
}

async function releaseHit(db: Kysely<DB>, bucket: string, window: Window): Promise<void> {
  await db
    .updateTable('rate_limits')
    .set((eb) => ({ hits: eb('hits', '-', 1) }))
    .where('bucket', '=', bucket)
    .where('key', '=', window.key)
    .where('window_start', '=', window.start)
    .where('hits', '>', 0)
    .execute();
}

/**
 * Takes one hit in each of several counters, all or none: when one refuses, the hits already
 * taken are given back, so an attempt refused by one limit does not eat another's budget.
 */
export async function takeAll(deps: LimitDeps, checks: readonly (readonly [RateLimitRule, string])[], now = new Date()): Promise<RateLimitVerdict> {
  const taken: Extract<RateLimitVerdict, { allowed: true }>[] = [];
  for (const [rule, subject] of checks) {
    const verdict = await takeRateLimit(deps, rule, subject, now);
    if (!verdict.allowed) {
      for (const hit of taken) await hit.release();
      return verdict;
    }
    taken.push(verdict);
  }
  return { allowed: true, release: async () => void (await Promise.all(taken.map((hit) => hit.release()))) };
}

/**
 * A budget everyone draws from together (e.g. receipt sign-ins from all addresses), which must
 * bound a distributed attacker without letting one network lock everyone else out:
 * - up to `soft` hits per window, anyone is admitted;
 * - between `soft` and `hard`, only networks still within their own `share` are admitted, so the
 *   network that pushed the count up is refused first and everyone else carries on;
 * - at `hard`, everyone is refused: the cap on what any number of networks can do together.
 */
export type SharedBudget = { readonly bucket: string; readonly windowSeconds: number; readonly soft: number; readonly hard: number; readonly share: RateLimitRule };

export async function takeSharedBudget(deps: LimitDeps, budget: SharedBudget, network: string, now = new Date()): Promise<RateLimitVerdict> {
  const withinShare = await takeRateLimit(deps, budget.share, network, now);
  const rule = { bucket: budget.bucket, limit: budget.hard, windowSeconds: budget.windowSeconds };
  const total = await takeRateLimit(deps, rule, 'everyone', now, withinShare.allowed ? budget.hard : budget.soft);
  if (!total.allowed) {
    if (withinShare.allowed) await withinShare.release();
    return total;
  }
  return {
    allowed: true,
    release: async () => {
      await total.release();
      if (withinShare.allowed) await withinShare.release();
    },
  };
}

/** Drops counters no rule can read any more (each row expires two windows after it began). */
export async function purgeOldRateLimits(db: Kysely<DB>, now = new Date()): Promise<void> {
  await db.deleteFrom('rate_limits').where('expires_at', '<=', now).execute();
}
