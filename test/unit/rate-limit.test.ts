import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db.js';
import { fromHex } from '../../server/core/crypto/index.js';
import { clientSourceOf } from '../../server/core/client-source.js';
import { purgeOldRateLimits, takeAll, takeRateLimit, takeSharedBudget, type LimitDeps, type SharedBudget } from '../../server/core/rate-limit.js';

const database = useTestDatabase();
const secrets = { blindIndexKey: fromHex('11'.repeat(32)), rateLimitKey: fromHex('22'.repeat(32)) };
const deps = (): LimitDeps => ({ db: database.db, config: { secrets } });
const at = (iso: string) => new Date(iso);

describe('client sources', () => {
  it('count an IPv6 client by its /64 and an IPv4-mapped address as the IPv4 address', () => {
    const a = clientSourceOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    const b = clientSourceOf('2001:0db8:0001:0002:0000:0000:0000:0001');
    expect(a).toEqual({ address: 'ipv6:2001:db8:1:2::/64', network: 'ipv6:2001:db8:1::/48' });
    expect(b).toEqual(a);
    expect(clientSourceOf('2001:db8:1:3::1').address).not.toBe(a.address);
    expect(clientSourceOf('2001:db8:1:3::1').network).toBe(a.network);
    expect(clientSourceOf('::ffff:203.0.113.7')).toEqual({ address: 'ipv4:203.0.113.7', network: 'ipv4:203.0.113.0/24' });
    expect(clientSourceOf('203.0.113.7')).toEqual(clientSourceOf('::ffff:203.0.113.7'));
    expect(clientSourceOf('203.0.113.8').address).not.toBe(clientSourceOf('203.0.113.7').address);
    expect(clientSourceOf('fe80::1%eth0').address).toBe('ipv6:fe80::/64');
    expect(clientSourceOf(undefined)).toEqual({ address: 'unknown', network: 'unknown' });
    expect(clientSourceOf('not an address')).toEqual({ address: 'unknown', network: 'unknown' });
  });
});

describe('rate limits', () => {
  it('count within a sliding window and say when to retry', async () => {
    const rule = { bucket: 'test', limit: 3, windowSeconds: 60 };
    const now = at('2026-11-23T10:00:10Z');
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push(await takeRateLimit(deps(), rule, 'k1', now));
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, false]);
    // Three hits in the window before: one fits again once a third of them has slid out.
    expect(verdicts[3]!.allowed === false && verdicts[3]!.retryAfterSeconds).toBe(70);
    expect((await takeRateLimit(deps(), rule, 'k2', now)).allowed).toBe(true);
    // No refill at the boundary: at 10:01:00 the previous window still counts in full.
    expect((await takeRateLimit(deps(), rule, 'k1', at('2026-11-23T10:01:00Z'))).allowed).toBe(false);
    expect((await takeRateLimit(deps(), rule, 'k1', at('2026-11-23T10:01:20Z'))).allowed).toBe(true);
    expect((await takeRateLimit(deps(), rule, 'k1', at('2026-11-23T10:01:21Z'))).allowed).toBe(false);
  });

  it('do not count refused attempts, and give back released ones', async () => {
    const rule = { bucket: 'refused', limit: 2, windowSeconds: 60 };
    const now = at('2026-11-23T10:00:00Z');
    const first = await takeRateLimit(deps(), rule, 'k', now);
    await takeRateLimit(deps(), rule, 'k', now);
    for (let i = 0; i < 5; i++) expect((await takeRateLimit(deps(), rule, 'k', now)).allowed).toBe(false);
    const rows = await database.db.selectFrom('rate_limits').select('hits').where('bucket', '=', 'refused').execute();
    expect(rows.map((r) => r.hits)).toEqual([2]);
    if (first.allowed) await first.release();
    expect((await takeRateLimit(deps(), rule, 'k', now)).allowed).toBe(true);
  });

  it('are atomic under concurrency', async () => {
    const rule = { bucket: 'race', limit: 5, windowSeconds: 60 };
    const results = await Promise.all(Array.from({ length: 12 }, () => takeRateLimit(deps(), rule, 'same')));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
  });

  it('carry counts across the daily key rotation at 00:00 UTC', async () => {
    const rule = { bucket: 'midnight', limit: 4, windowSeconds: 900 };
    for (let i = 0; i < 4; i++) expect((await takeRateLimit(deps(), rule, 'ipv4:198.51.100.9', at('2026-11-23T23:59:00Z'))).allowed).toBe(true);
    // A new day, a new key for the new window; the previous window is found under yesterday's key.
    expect((await takeRateLimit(deps(), rule, 'ipv4:198.51.100.9', at('2026-11-24T00:01:00Z'))).allowed).toBe(false);
    const keys = await database.db.selectFrom('rate_limits').select(['key', 'window_start']).where('bucket', '=', 'midnight').execute();
    expect(keys).toHaveLength(1);
    // Three quarters of the way through the new window, one of the four old hits still counts.
    expect((await takeRateLimit(deps(), rule, 'ipv4:198.51.100.9', at('2026-11-24T00:11:15Z'))).allowed).toBe(true);
    const after = await database.db.selectFrom('rate_limits').select('key').where('bucket', '=', 'midnight').execute();
    expect(new Set(after.map((r) => r.key)).size).toBe(2);
  });

  it('key the same subject differently in every bucket and every day, and never store it', async () => {
    const now = at('2026-11-23T12:00:00Z');
    const subject = 'ipv4:192.0.2.44';
    await takeRateLimit(deps(), { bucket: 'report-submit', limit: 10, windowSeconds: 3600 }, subject, now);
    await takeRateLimit(deps(), { bucket: 'staff-auth-source', limit: 10, windowSeconds: 3600 }, subject, now);
    await takeRateLimit(deps(), { bucket: 'staff-auth-source', limit: 10, windowSeconds: 3600 }, subject, at('2026-11-24T12:00:00Z'));
    const rows = await database.db.selectFrom('rate_limits').select(['bucket', 'key']).where('bucket', 'in', ['report-submit', 'staff-auth-source']).execute();
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.key)).size).toBe(3);
    expect(JSON.stringify(rows)).not.toContain('192.0.2.44');
  });

  it('take several limits all or none', async () => {
    const a = { bucket: 'all-a', limit: 5, windowSeconds: 60 };
    const b = { bucket: 'all-b', limit: 1, windowSeconds: 60 };
    const now = at('2026-11-23T10:00:00Z');
    expect((await takeAll(deps(), [[a, 'x'], [b, 'x']], now)).allowed).toBe(true);
    expect((await takeAll(deps(), [[a, 'x'], [b, 'x']], now)).allowed).toBe(false);
    const hits = await database.db.selectFrom('rate_limits').select(['bucket', 'hits']).where('bucket', 'in', ['all-a', 'all-b']).orderBy('bucket').execute();
    expect(hits).toEqual([{ bucket: 'all-a', hits: 1 }, { bucket: 'all-b', hits: 1 }]);
  });

  it('let rows expire two windows after they began', async () => {
    const rule = { bucket: 'expiry', limit: 5, windowSeconds: 900 };
    await takeRateLimit(deps(), rule, 'k', at('2026-11-23T10:05:00Z'));
    await purgeOldRateLimits(database.db, at('2026-11-23T10:29:59Z'));
    expect(await database.db.selectFrom('rate_limits').select('key').where('bucket', '=', 'expiry').execute()).toHaveLength(1);
    await purgeOldRateLimits(database.db, at('2026-11-23T10:30:00Z'));
    expect(await database.db.selectFrom('rate_limits').select('key').where('bucket', '=', 'expiry').execute()).toHaveLength(0);
  });
});

describe('a shared budget', () => {
  const budget: SharedBudget = { bucket: 'shared', windowSeconds: 3600, soft: 6, hard: 9, share: { bucket: 'shared-network', limit: 2, windowSeconds: 3600 } };
  const now = at('2026-11-23T10:30:00Z');

  it('refuses the network that used it up first, lets the others on, and caps everyone at the hard limit', async () => {
    const flood = 'ipv6:2001:db8:bad::/48';
    const outcomes: boolean[] = [];
    for (let i = 0; i < 10; i++) outcomes.push((await takeSharedBudget(deps(), budget, flood, now)).allowed);
    // Up to the soft limit anyone gets in; past it the flooding network is over its share.
    expect(outcomes).toEqual([true, true, true, true, true, true, false, false, false, false]);
    // Others still within their share are admitted up to the hard limit…
    expect((await takeSharedBudget(deps(), budget, 'ipv4:198.51.100.0/24', now)).allowed).toBe(true);
    expect((await takeSharedBudget(deps(), budget, 'ipv4:198.51.100.0/24', now)).allowed).toBe(true);
    expect((await takeSharedBudget(deps(), budget, 'ipv4:198.51.100.0/24', now)).allowed).toBe(false);
    expect((await takeSharedBudget(deps(), budget, 'ipv4:203.0.113.0/24', now)).allowed).toBe(true);
    // …and at the hard limit nobody is.
    expect((await takeSharedBudget(deps(), budget, 'ipv4:192.0.2.0/24', now)).allowed).toBe(false);
  });
});
