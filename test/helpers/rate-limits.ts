import type { TestApp } from './app.js';
import { rateLimitBucketKey, rateLimitCounterKey } from '../../server/core/crypto/index.js';

/**
 * Sets a rate-limit counter of the current window to `hits`, under the key the app itself would
 * use (per bucket, per window day), to test what happens at a limit without sending thousands of
 * requests. The previous window is left empty.
 */
export async function setCounter(t: TestApp, bucket: string, windowSeconds: number, subject: string, hits: number, now = new Date()): Promise<void> {
  const windowMs = windowSeconds * 1000;
  const start = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  const key = rateLimitCounterKey(rateLimitBucketKey(t.config.secrets, bucket), start.toISOString().slice(0, 10), subject);
  await t.database.db
    .insertInto('rate_limits')
    .values({ bucket, key, window_start: start, hits, expires_at: new Date(start.getTime() + 2 * windowMs) })
    .onConflict((oc) => oc.columns(['bucket', 'key', 'window_start']).doUpdateSet({ hits }))
    .execute();
}

/** Waits when fewer than `marginMs` are left in the current window, so a test does not straddle two. */
export async function awayFromWindowEdge(windowSeconds: number, marginMs = 15_000): Promise<void> {
  const windowMs = windowSeconds * 1000;
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 100));
}
