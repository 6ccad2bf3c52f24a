import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Express } from 'express';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom, fetchCsrf } from '../helpers/forms.js';
import { createEmployee, createInviteCode, uniquePhone } from '../helpers/employees.js';
import { awayFromWindowEdge, setCounter } from '../helpers/rate-limits.js';
import { setCookieValue } from '../helpers/staff.js';
import { createPublicApp } from '../../server/public/app.js';
import { Kdf, normalisePhone, type Argon2Params } from '../../server/core/crypto/index.js';
import { EMPLOYEE_PASSWORD_CHANGE, EMPLOYEE_SIGN_IN } from '../../server/core/accounts/throttle.js';
import { JOIN_CLIENT_RULE } from '../../server/core/employees/service.js';
import { employeeAccountSubject } from '../../server/core/employees/lookup.js';

/** Real argon2id, counted: shows how many attempts reached it. */
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
  // Behind a proxy, so each request can speak from its own client address.
  t = await createTestApp({ TRUST_PROXY: 'true' });
  kdf = new CountingKdf(t.config.argon2);
  app = createPublicApp({ ...t.ctx, kdf });
  // The first failure makes the decoy verifier once per Kdf; make it before anything is counted.
  await signIn(uniquePhone(), 'warming up the decoy', '192.0.2.1');
});
afterAll(async () => {
  await t.close();
});
beforeEach(() => awayFromWindowEdge(EMPLOYEE_SIGN_IN.account.windowSeconds));

const { accountSource, account, accountDay, device } = EMPLOYEE_SIGN_IN;
/** argon2id work of one sign-in attempt that gets through: the lookup, then verifier and KEK. */
const PER_SIGN_IN = 3;

async function signIn(phone: string, password: string, ip: string, deviceCookie: string | null = null) {
  const page = await request(app).get('/employee/login').set('X-Forwarded-For', ip);
  const cookies = ([] as string[]).concat(page.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!);
  if (deviceCookie) cookies.push(`pg_employee_device=${deviceCookie}`);
  const res = await request(app)
    .post('/employee/login')
    .set('X-Forwarded-For', ip)
    .set('Cookie', cookies.join('; '))
    .type('form')
    .send({ _csrf: csrfTokenFrom(page.text), phone, password });
  return { status: res.status, res, deviceCookie: setCookieValue(res, 'pg_employee_device') };
}

describe('employee sign-in limits are reserved before argon2id', () => {
  it('20 wrong passwords sent at once for one phone from one address: only the limit reach argon2id', async () => {
    const e = await createEmployee(t);
    const before = kdf.calls;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => signIn(e.phone, `wrong password ${i}!`, '198.51.100.5')));
    expect(results.filter((r) => r.status === 401)).toHaveLength(accountSource.limit);
    expect(results.filter((r) => r.status === 429)).toHaveLength(20 - accountSource.limit);
    expect(kdf.calls - before).toBe(PER_SIGN_IN * accountSource.limit);
  });

  it('20 wrong passwords sent at once for one phone from 20 addresses: only the account limit reach argon2id', async () => {
    const e = await createEmployee(t);
    const before = kdf.calls;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => signIn(e.phone, `wrong password ${i}!`, `203.0.113.${i + 1}`)));
    expect(results.filter((r) => r.status === 401)).toHaveLength(account.limit);
    expect(kdf.calls - before).toBe(PER_SIGN_IN * account.limit);
    const refused = results.find((r) => r.status === 429)!;
    expect(refused.res.text).toContain('尝试次数过多');
    expect(Number(refused.res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it(`caps unverified guesses at ${accountDay.limit} per account per day`, async () => {
    const e = await createEmployee(t);
    await setCounter(t, accountDay.bucket, accountDay.windowSeconds, employeeAccountSubject(t.ctx, normalisePhone(e.phone)!), accountDay.limit - 1);
    expect((await signIn(e.phone, 'wrong password 1!', '198.51.100.40')).status).toBe(401);
    const before = kdf.calls;
    expect((await signIn(e.phone, 'wrong password 2!', '198.51.100.41')).status).toBe(429);
    expect(kdf.calls).toBe(before);
  });

  it('strangers cannot lock an employee out of the browser they signed in from', async () => {
    const e = await createEmployee(t);
    const first = await signIn(e.phone, e.password, '198.51.100.60');
    expect(first.status).toBe(303);
    expect(first.deviceCookie).not.toBeNull();
    for (let i = 0; i < account.limit + 1; i++) await signIn(e.phone, `stranger guess ${i}!`, `192.0.2.${60 + i}`);
    expect((await signIn(e.phone, e.password, '198.51.100.60')).status).toBe(429);
    expect((await signIn(e.phone, e.password, '100.64.0.9', first.deviceCookie)).status).toBe(303);
    // The cookie is bound to its phone number and has its own small budget.
    const other = await createEmployee(t);
    for (let i = 0; i < account.limit; i++) await signIn(other.phone, `stranger guess ${i}!`, `192.0.2.${90 + i}`);
    expect((await signIn(other.phone, other.password, '198.51.100.60', first.deviceCookie)).status).toBe(429);
    const statuses: number[] = [];
    for (let i = 0; i < device.limit + 1; i++) statuses.push((await signIn(e.phone, `thief guess ${i}!`, '100.64.0.10', first.deviceCookie)).status);
    expect(statuses).toEqual([...Array(device.limit).fill(401), 429]);
  });

  it('the rate-limit table holds no phone number, employee id or login lookup', async () => {
    const e = await createEmployee(t);
    for (let i = 0; i < 3; i++) await signIn(e.phone, `wrong password ${i}!`, '198.51.100.70');
    const rows = JSON.stringify(await t.database.db.selectFrom('rate_limits').selectAll().execute());
    expect(rows).toContain('employee-login-account-day');
    for (const row of await t.database.db.selectFrom('employees').select(['id', 'login_lookup']).execute()) {
      expect(rows).not.toContain(row.id);
      expect(rows).not.toContain(Buffer.from(row.login_lookup).toString('hex'));
    }
    expect(rows).not.toContain(e.phone);
    expect(rows).not.toContain('198.51.100.70');
  });
});

describe('joining and changing the password reserve first too', () => {
  it('20 joins at once with a good code and a registered phone: only the join limit reach argon2id', async () => {
    const taken = await createEmployee(t);
    const invite = await createInviteCode(t);
    const join = async (i: number) => {
      const page = await request(app).get('/employee/join').set('X-Forwarded-For', '198.51.100.80');
      const cookies = ([] as string[]).concat(page.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).join('; ');
      const password = 'meadow signal copper 88';
      return request(app)
        .post('/employee/join')
        .set('X-Forwarded-For', '198.51.100.80')
        .set('Cookie', cookies)
        .type('form')
        .send({ _csrf: csrfTokenFrom(page.text), inviteCode: invite.code, name: `试探者${i}`, employeeNumber: 'X-1', phone: taken.phone, password, passwordConfirm: password });
    };
    const before = kdf.calls;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => join(i)));
    expect(results.filter((r) => r.status === 422)).toHaveLength(JOIN_CLIENT_RULE.limit);
    expect(results.filter((r) => r.status === 429)).toHaveLength(20 - JOIN_CLIENT_RULE.limit);
    // One argon2id (the lookup) per join that got through to the phone check.
    expect(kdf.calls - before).toBe(JOIN_CLIENT_RULE.limit);
  });

  it('20 wrong current passwords at once: only the password-change limit reach argon2id', async () => {
    const e = await createEmployee(t);
    const agent = request.agent(app);
    const _csrf = await fetchCsrf(agent, '/employee/login');
    const login = await agent.post('/employee/login').type('form').send({ _csrf, phone: e.phone, password: e.password });
    expect(login.status).toBe(303);
    const csrf = await fetchCsrf(agent, '/employee/account/password');
    const before = kdf.calls;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        agent.post('/employee/account/password').type('form').send({ _csrf: csrf, currentPassword: `not mine ${i}`, newPassword: 'harbour kite velvet 19', newPasswordConfirm: 'harbour kite velvet 19' }),
      ),
    );
    expect(results.filter((r) => r.status === 422)).toHaveLength(EMPLOYEE_PASSWORD_CHANGE.limit);
    expect(results.filter((r) => r.status === 429)).toHaveLength(20 - EMPLOYEE_PASSWORD_CHANGE.limit);
    expect(kdf.calls - before).toBe(EMPLOYEE_PASSWORD_CHANGE.limit);
  });

  it('a join that succeeds gives its reservation back, so a whole outlet can join from one network', async () => {
    const invite = await createInviteCode(t, { uses: JOIN_CLIENT_RULE.limit + 2 });
    for (let i = 0; i < JOIN_CLIENT_RULE.limit + 1; i++) {
      await expect(createEmployee(t, { code: invite.code, outletId: invite.outletId, phone: uniquePhone() })).resolves.toBeDefined();
    }
  });
});
