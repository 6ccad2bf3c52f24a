import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestReviewer, followupLogin, submitTestReport } from '../helpers/reports.js';
import { awayFromWindowEdge, setCounter } from '../helpers/rate-limits.js';
import { LOGIN_GLOBAL_BUDGET, LOGIN_LIMIT } from '../../server/core/followup/service.js';

// Behind a proxy, so each request can speak from its own client address.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ TRUST_PROXY: 'true' });
  await createTestReviewer(t);
});
afterAll(async () => {
  await t.close();
});
beforeEach(async () => {
  await t.database.db.deleteFrom('rate_limits').execute();
  await awayFromWindowEdge(LOGIN_LIMIT.windowSeconds);
});

const from = (ip: string) => request.agent(t.publicApp).set('X-Forwarded-For', ip);

describe('receipt sign-in limits by client', () => {
  it('count every address of one IPv6 /64 as one client', async () => {
    for (let i = 1; i <= LOGIN_LIMIT.limit; i++) {
      expect((await followupLogin(from(`2001:db8:77:1::${i.toString(16)}`), '0000 0000 0000 0000')).status).toBe(401);
    }
    const rotated = await followupLogin(from('2001:db8:77:1:ffff:ffff:ffff:fffe'), '0000 0000 0000 0000');
    expect(rotated.status).toBe(429);
    expect(rotated.text).toContain('尝试次数过多');
    // The next /64 is another client.
    expect((await followupLogin(from('2001:db8:77:2::1'), '0000 0000 0000 0000')).status).toBe(401);
  });

  it('count an IPv4-mapped IPv6 address as the IPv4 address it carries', async () => {
    for (let i = 0; i < LOGIN_LIMIT.limit; i++) expect((await followupLogin(from('198.51.100.61'), '0000 0000 0000 0000')).status).toBe(401);
    expect((await followupLogin(from('::ffff:198.51.100.61'), '0000 0000 0000 0000')).status).toBe(429);
  });
});

describe('the budget every address draws from together', () => {
  it('refuses the network that filled it first and keeps letting other reporters in', async () => {
    const { receipt } = await submitTestReport(t);
    // One /48 has pushed the hour's count to the soft limit and is over its own share.
    await setCounter(t, LOGIN_GLOBAL_BUDGET.bucket, LOGIN_GLOBAL_BUDGET.windowSeconds, 'everyone', LOGIN_GLOBAL_BUDGET.soft);
    await setCounter(t, LOGIN_GLOBAL_BUDGET.share.bucket, LOGIN_GLOBAL_BUDGET.share.windowSeconds, 'ipv6:2001:db8:bad::/48', LOGIN_GLOBAL_BUDGET.share.limit);
    const flooder = await followupLogin(from('2001:db8:bad:9::1'), receipt!);
    expect(flooder.status).toBe(429);
    expect(Number(flooder.headers['retry-after'])).toBeGreaterThan(0);
    // A reporter on another network still gets in with their receipt.
    const reporter = await followupLogin(from('203.0.113.200'), receipt!);
    expect(reporter.status).toBe(303);
  });
});
