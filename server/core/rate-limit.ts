import { sql, type Kysely } from 'kysely';
import type { DB } from './db/schema.js';

/**
 * Fixed-window counters in the database, so every app instance shares them. One upsert per hit.
 * (rate-limiter-flexible's PostgreSQL store needs a `pg` pool and cannot run on embedded PGlite;
 * the whole mechanism here is a single atomic statement on either driver.)
 */
export type RateLimitRule = { readonly bucket: string; readonly limit: number; readonly windowSeconds: number };
export type RateLimitVerdict = { readonly allowed: boolean; readonly hits: number; readonly retryAfterSeconds: number };

export async function hitRateLimit(db: Kysely<DB>, rule: RateLimitRule, key: string, now = new Date()): Promise<RateLimitVerdict> {
  const windowMs = rule.windowSeconds * 1000;
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  const { rows } = await sql<{ hits: number }>`
    insert into rate_limits (bucket, key, window_start, hits) values (${rule.bucket}, ${key}, ${windowStart}, 1)
    on conflict (bucket, key, window_start) do update set hits = rate_limits.hits + 1
    returning hits`.execute(db);
  const hits = Number(rows[0]!.hits);
  const retryAfterSeconds = Math.max(1, Math.ceil((windowStart.getTime() + windowMs - now.getTime()) / 1000));
  return { allowed: hits <= rule.limit, hits, retryAfterSeconds };
}

/** Peeks without counting (e.g. to refuse before an expensive argon2id call). */
export async function peekRateLimit(db: Kysely<DB>, rule: RateLimitRule, key: string, now = new Date()): Promise<RateLimitVerdict> {
  const windowMs = rule.windowSeconds * 1000;
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  const row = await db
    .selectFrom('rate_limits')
    .select('hits')
    .where('bucket', '=', rule.bucket)
    .where('key', '=', key)
    .where('window_start', '=', windowStart)
    .executeTakeFirst();
  const hits = row ? Number(row.hits) : 0;
  const retryAfterSeconds = Math.max(1, Math.ceil((windowStart.getTime() + windowMs - now.getTime()) / 1000));
  return { allowed: hits < rule.limit, hits, retryAfterSeconds };
}

/** Drops counters whose window began more than a day ago (no rule uses a longer window). */
export async function purgeOldRateLimits(db: Kysely<DB>, now = new Date()): Promise<void> {
  await db.deleteFrom('rate_limits').where('window_start', '<', new Date(now.getTime() - 24 * 3600 * 1000)).execute();
}
