import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff, nextTotpCode, signIn } from '../helpers/staff.js';
import { createStaffApp } from '../../server/staff/app.js';
import { Kdf, type Argon2Params } from '../../server/core/crypto/index.js';
import { accountKey, ACCOUNT_RULE, SOURCE_RULE } from '../../server/core/accounts/throttle.js';

/** Real argon2id, counted: shows that refused attempts never reach it. */
class CountingKdf extends Kdf {
  calls = 0;
  constructor(params: Argon2Params) {
    super(params);
  }
  protected override runArgon2<T>(compute: () => Promise<T>): Promise<T> {
    this.calls++;
    return super.runArgon2(compute);
  }
}

let t: TestApp;
let app: Express;
let kdf: CountingKdf;
beforeAll(async () => {
  // Behind a proxy, so each test can speak from its own client address.
  t = await createTestApp({ TRUST_PROXY: 'true' });
  kdf = new CountingKdf(t.config.argon2);
  app = createStaffApp({ ...t.ctx, kdf });
});
afterAll(async () => {
  await t.close();
});

const from = (ip: string) => ({ 'X-Forwarded-For': ip });

// The limits use fixed 15-minute windows; a test must not straddle a window boundary.
beforeEach(async () => {
  const windowMs = ACCOUNT_RULE.windowSeconds * 1000;
  const left = windowMs - (Date.now() % windowMs);
  if (left < 15_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
});

describe('sign-in throttling', () => {
  it('locks one account after 5 failures, before any argon2id work, without touching other accounts', async () => {
    const victim = await createStaff(t);
    const bystander = await createStaff(t);
    for (let i = 0; i < ACCOUNT_RULE.limit; i++) {
      const { res } = await signIn(app, { username: victim.username, password: `wrong guess ${i} padding`, code: '000000' }, from('198.51.100.1'));
      expect(res.status).toBe(401);
    }
    const before = kdf.calls;
    // From another address, and with the right password and code: still refused.
    const locked = await signIn(app, { username: victim.username, password: victim.password, code: await nextTotpCode(victim) }, from('198.51.100.2'));
    expect(locked.res.status).toBe(429);
    expect(locked.res.text).toContain('尝试次数过多');
    expect(Number(locked.res.headers['retry-after'])).toBeGreaterThan(0);
    expect(locked.res.text).toContain(`value="${victim.username}"`); // the form comes back, not an error page
    expect(locked.staffCookie).toBeNull();
    expect(kdf.calls).toBe(before);
    // Case and width variants of the name are the same account.
    const variant = await signIn(app, { username: victim.username.toUpperCase(), password: victim.password, code: '000000' }, from('198.51.100.3'));
    expect(variant.res.status).toBe(429);

    const ok = await signIn(app, { username: bystander.username, password: bystander.password, code: await nextTotpCode(bystander) }, from('198.51.100.1'));
    expect(ok.res.status).toBe(303);
  });

  it('limits one source to 20 failures across any accounts; other sources are unaffected', async () => {
    const staff = await createStaff(t);
    for (let i = 0; i < SOURCE_RULE.limit; i++) {
      const { res } = await signIn(app, { username: `sprayed.${i}`, password: 'spring2026 welcome', code: '000000' }, from('203.0.113.7'));
      expect(res.status).toBe(401);
    }
    const before = kdf.calls;
    const refused = await signIn(app, { username: staff.username, password: staff.password, code: '000000' }, from('203.0.113.7'));
    expect(refused.res.status).toBe(429);
    expect(kdf.calls).toBe(before);
    const elsewhere = await signIn(app, { username: staff.username, password: staff.password, code: await nextTotpCode(staff) }, from('203.0.113.8'));
    expect(elsewhere.res.status).toBe(303);
  });

  it('counts failures only: a successful sign-in gives its reserved attempt back', async () => {
    const staff = await createStaff(t);
    await signIn(app, { username: staff.username, password: 'not the password at all', code: '000000' }, from('192.0.2.50'));
    const ok = await signIn(app, { username: staff.username, password: staff.password, code: await nextTotpCode(staff) }, from('192.0.2.50'));
    expect(ok.res.status).toBe(303);
    const row = await t.ctx.database.db
      .selectFrom('rate_limits')
      .select('hits')
      .where('bucket', '=', ACCOUNT_RULE.bucket)
      .where('key', '=', accountKey(t.config, staff.username))
      .executeTakeFirstOrThrow();
    expect(row.hits).toBe(1);
  });

  it('a burst of parallel guesses cannot overshoot the per-account limit', async () => {
    const staff = await createStaff(t);
    const before = kdf.calls;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signIn(app, { username: staff.username, password: `parallel guess ${i}!`, code: '000000' }, from(`192.0.2.${100 + i}`))),
    );
    expect(results.filter((r) => r.res.status === 401)).toHaveLength(ACCOUNT_RULE.limit);
    expect(results.filter((r) => r.res.status === 429)).toHaveLength(12 - ACCOUNT_RULE.limit);
    // Two argon2id computations per attempt that got through (verifier and KEK, always both).
    expect(kdf.calls - before).toBe(2 * ACCOUNT_RULE.limit);
  });

  it('recovery attempts share the same per-account limit', async () => {
    const staff = await createStaff(t);
    for (let i = 0; i < ACCOUNT_RULE.limit; i++) {
      await signIn(app, { username: staff.username, password: `wrong again ${i} ok`, code: '000000' }, from('198.51.100.77'));
    }
    const request = (await import('supertest')).default;
    const page = await request(app).get('/staff/recover');
    const csrf = ([] as string[]).concat(page.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).join('; ');
    const res = await request(app)
      .post('/staff/recover')
      .set(from('198.51.100.78'))
      .set('Cookie', csrf)
      .type('form')
      .send({
        _csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1],
        username: staff.username,
        recoveryKey: staff.recoveryKey,
        newPassword: 'a brand new passphrase',
        newPasswordConfirm: 'a brand new passphrase',
        code: '000000',
      });
    expect(res.status).toBe(429);
    expect(res.text).toContain('尝试次数过多');
  });
});
