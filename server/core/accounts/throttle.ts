import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Config } from '../config.js';
import { hmacSha256, toHex, utf8 } from '../crypto/index.js';
import { hitRateLimit, type RateLimitRule } from '../rate-limit.js';
import { releaseRateLimitHit } from './repository.js';

/**
 * Limits on guessing staff credentials (sign-in, recovery, password change), shared by every app
 * instance through the database. Per source stops one client spraying many accounts; per account
 * stops many clients (a botnet) guessing one account.
 */
export const SOURCE_RULE: RateLimitRule = { bucket: 'staff-auth-source', limit: 20, windowSeconds: 15 * 60 };
export const ACCOUNT_RULE: RateLimitRule = { bucket: 'staff-auth-account', limit: 5, windowSeconds: 15 * 60 };

export type Reservation =
  | { readonly allowed: true; release(): Promise<void> }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * The account key is an HMAC of the typed username, never the text itself: people sometimes type
 * their password into the username field, and the rate-limit table must not keep it.
 */
export function accountKey(config: Config, username: string): string {
  const canonical = username.normalize('NFKC').trim().toLowerCase();
  return toHex(hmacSha256(config.secrets.rateLimitKey, utf8(`staff-account:${canonical}`)));
}

function windowStart(rule: RateLimitRule, now: Date): Date {
  const ms = rule.windowSeconds * 1000;
  return new Date(Math.floor(now.getTime() / ms) * ms);
}

/**
 * Counts the attempt BEFORE any argon2id work, atomically, so a burst of parallel requests cannot
 * all pass a check that only counted finished failures. An attempt that succeeds calls release()
 * and so does not count: the limits are on failures, as users experience them.
 */
export async function reserveAttempt(db: Kysely<DB>, config: Config, sourceKey: string, username: string, now = new Date()): Promise<Reservation> {
  const source = await hitRateLimit(db, SOURCE_RULE, sourceKey, now);
  if (!source.allowed) return { allowed: false, retryAfterSeconds: source.retryAfterSeconds };
  const account = accountKey(config, username);
  const perAccount = await hitRateLimit(db, ACCOUNT_RULE, account, now);
  if (!perAccount.allowed) return { allowed: false, retryAfterSeconds: perAccount.retryAfterSeconds };
  return {
    allowed: true,
    release: async () => {
      await releaseRateLimitHit(db, SOURCE_RULE.bucket, sourceKey, windowStart(SOURCE_RULE, now));
      await releaseRateLimitHit(db, ACCOUNT_RULE.bucket, account, windowStart(ACCOUNT_RULE, now));
    },
  };
}
