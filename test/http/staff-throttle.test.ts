import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff, nextTotpCode, postForm, signIn, staffSession, type TestStaff } from '../helpers/staff.js';
import { awayFromWindowEdge, setCounter } from '../helpers/rate-limits.js';
import { createStaffApp } from '../../server/staff/app.js';
import { Kdf, type Argon2Params } from '../../server/core/crypto/index.js';
import { STAFF_PASSWORD_CHANGE, STAFF_SIGN_IN } from '../../server/core/accounts/throttle.js';
import { staffAccountName } from '../../server/core/accounts/staff-keys.js';

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
const wrong = (staff: TestStaff, i: number) => ({ username: staff.username, password: `wrong guess ${i} padding`, code: '000000' });
const right = async (staff: TestStaff) => ({ username: staff.username, password: staff.password, code: await nextTotpCode(staff) });
const { source, accountSource, account, accountDay } = STAFF_SIGN_IN;

// The limits use 15-minute windows; a test must not straddle a window boundary.
beforeEach(() => awayFromWindowEdge(account.windowSeconds));

describe('strangers cannot lock a staff member out', () => {
  it('failures from many addresses stop at the account limit, yet the browser the member signed in from still signs in', async () => {
    const staff = await createStaff(t);
    const first = await signIn(app, await right(staff), from('198.51.100.2'));
    expect(first.res.status).toBe(303);
    expect(first.deviceCookie).toMatch(/^[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    const header = ([] as string[]).concat(first.res.headers['set-cookie'] ?? []).find((c) => c.startsWith('pg_staff_device='))!;
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Strict/);

    const statuses: number[] = [];
    // Case and width variants of the name are the same account.
    const variant = (i: number) => (i % 2 ? { ...wrong(staff, i), username: staff.username.toUpperCase() } : wrong(staff, i));
    for (let i = 0; i < account.limit + 2; i++) statuses.push((await signIn(app, variant(i), from(`203.0.113.${10 + i}`))).res.status);
    expect(statuses).toEqual([...Array(account.limit).fill(401), 429, 429]);

    const before = kdf.calls;
    // A new browser (no device cookie) is refused while the account is under attack…
    const newBrowser = await signIn(app, await right(staff), from('198.51.100.2'));
    expect(newBrowser.res.status).toBe(429);
    expect(newBrowser.res.text).toContain('尝试次数过多');
    expect(newBrowser.res.text).toContain(`value="${staff.username}"`); // the form comes back, not an error page
    expect(kdf.calls).toBe(before);
    // …but the browser it signed in from before is not, from any address.
    const trusted = await signIn(app, await right(staff), from('192.0.2.77'), first.deviceCookie);
    expect(trusted.res.status).toBe(303);
    expect(trusted.staffCookie).not.toBeNull();
    // Three correct sign-ins each wait for an unused TOTP step (up to 30 s apiece).
  }, 120_000);

  it("a device cookie is only good for its own account, and only while it keeps within the device's budget", async () => {
    const owner = await createStaff(t);
    const victim = await createStaff(t);
    const { deviceCookie } = await signIn(app, await right(owner), from('198.51.100.30'));
    for (let i = 0; i < accountSource.limit; i++) await signIn(app, wrong(victim, i), from('198.51.100.30'));
    // The owner's cookie does not make guesses at another account "trusted".
    expect((await signIn(app, wrong(victim, 99), from('198.51.100.30'), deviceCookie)).res.status).toBe(429);
    // On its own account, a stolen cookie gets only the device budget.
    const statuses: number[] = [];
    for (let i = 0; i < STAFF_SIGN_IN.device.limit + 1; i++) statuses.push((await signIn(app, wrong(owner, i), from(`192.0.2.${140 + i}`), deviceCookie)).res.status);
    expect(statuses).toEqual([...Array(STAFF_SIGN_IN.device.limit).fill(401), 429]);
  });
});

describe('a distributed brute force', () => {
  it(`is capped at ${accountDay.limit} unverified guesses per account per day`, async () => {
    const staff = await createStaff(t);
    // The day's budget is nearly spent (by guesses earlier today, from many addresses).
    await setCounter(t, accountDay.bucket, accountDay.windowSeconds, `staff:${staffAccountName(staff.username)}`, accountDay.limit - 1);
    expect((await signIn(app, wrong(staff, 1), from('198.51.100.90'))).res.status).toBe(401);
    const before = kdf.calls;
    const refused = await signIn(app, wrong(staff, 2), from('198.51.100.91'));
    expect(refused.res.status).toBe(429);
    // At the earliest, once tomorrow's window has let a thirtieth of today's count slide out.
    expect(Number(refused.res.headers['retry-after'])).toBeGreaterThanOrEqual(accountDay.windowSeconds / accountDay.limit);
    expect(kdf.calls).toBe(before);
  });

  it('a burst of parallel guesses from many addresses reaches argon2id at most the account limit times', async () => {
    const staff = await createStaff(t);
    const before = kdf.calls;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => signIn(app, wrong(staff, i), from(`192.0.2.${100 + i}`))));
    expect(results.filter((r) => r.res.status === 401)).toHaveLength(account.limit);
    expect(results.filter((r) => r.res.status === 429)).toHaveLength(20 - account.limit);
    // Two argon2id computations per attempt that got through (verifier and KEK, always both).
    expect(kdf.calls - before).toBe(2 * account.limit);
  });

  it('a burst of parallel guesses from one address stops at the account-and-address limit', async () => {
    const staff = await createStaff(t);
    const before = kdf.calls;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => signIn(app, wrong(staff, i), from('192.0.2.200'))));
    expect(results.filter((r) => r.res.status === 401)).toHaveLength(accountSource.limit);
    expect(kdf.calls - before).toBe(2 * accountSource.limit);
  });

  it(`limits one address to ${source.limit} failures across any accounts; other addresses are unaffected`, async () => {
    const staff = await createStaff(t);
    for (let i = 0; i < source.limit; i++) {
      const { res } = await signIn(app, { username: `sprayed.${i}`, password: 'spring2026 welcome', code: '000000' }, from('203.0.113.7'));
      expect(res.status).toBe(401);
    }
    const before = kdf.calls;
    const refused = await signIn(app, { username: staff.username, password: staff.password, code: '000000' }, from('203.0.113.7'));
    expect(refused.res.status).toBe(429);
    expect(kdf.calls).toBe(before);
    const elsewhere = await signIn(app, await right(staff), from('203.0.113.8'));
    expect(elsewhere.res.status).toBe(303);
  });

  it('counts failures only: a successful sign-in gives its reserved attempts back', async () => {
    const staff = await createStaff(t);
    for (let i = 0; i < accountSource.limit - 1; i++) await signIn(app, wrong(staff, i), from('192.0.2.50'));
    expect((await signIn(app, await right(staff), from('192.0.2.50'))).res.status).toBe(303);
    // Had the success counted, this would be the sixth attempt from this address.
    expect((await signIn(app, wrong(staff, 9), from('192.0.2.50'))).res.status).toBe(401);
  });
});

describe('recovery and password change', () => {
  const recover = (staff: TestStaff, ip: string, code: string, deviceCookie?: string | null) =>
    postForm(app, '/staff/recover', '/staff/recover', {
      username: staff.username,
      recoveryKey: staff.recoveryKey,
      newPassword: 'a brand new passphrase',
      newPasswordConfirm: 'a brand new passphrase',
      code,
    }, { headers: from(ip), extraCookies: deviceCookie ? [`pg_staff_device=${deviceCookie}`] : [] });

  it('recovery draws on the sign-in limits, and a trusted browser can still recover', async () => {
    const staff = await createStaff(t);
    const { deviceCookie } = await signIn(app, await right(staff), from('198.51.100.120'));
    for (let i = 0; i < account.limit; i++) await signIn(app, wrong(staff, i), from(`203.0.113.${120 + i}`));
    const refused = await recover(staff, '198.51.100.121', '000000');
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('尝试次数过多');
    const recovered = await recover(staff, '198.51.100.121', await nextTotpCode(staff), deviceCookie);
    expect(recovered.status).toBe(200);
    expect(recovered.text).toMatch(/[0-9A-Z]{4}(-[0-9A-Z]{4}){12}/);
  });

  const changePassword = (session: string, current: string, code: string) =>
    postForm(app, '/staff/account/password', '/staff/account/password', { currentPassword: current, newPassword: 'river stone lantern 42', newPasswordConfirm: 'river stone lantern 42', code }, { staffCookie: session });

  it("strangers' failed sign-ins do not block a password change", async () => {
    const staff = await createStaff(t);
    for (let i = 0; i < account.limit; i++) await signIn(app, wrong(staff, i), from(`203.0.113.${140 + i}`));
    const changed = await changePassword(await staffSession(t, staff), staff.password, await nextTotpCode(staff));
    expect(changed.status).toBe(200);
    expect(changed.text).toContain('密码已修改');
  });

  it(`a password change has its own budget of ${STAFF_PASSWORD_CHANGE.limit} failures, reserved before argon2id`, async () => {
    const staff = await createStaff(t);
    const session = await staffSession(t, staff);
    const statuses: number[] = [];
    for (let i = 0; i < STAFF_PASSWORD_CHANGE.limit; i++) statuses.push((await changePassword(session, `not my password ${i}`, '000000')).status);
    const before = kdf.calls;
    statuses.push((await changePassword(session, staff.password, await nextTotpCode(staff))).status);
    expect(statuses).toEqual([...Array(STAFF_PASSWORD_CHANGE.limit).fill(401), 429]);
    expect(kdf.calls).toBe(before);
  });
});
