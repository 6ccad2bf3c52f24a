import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import express from 'express';
import cookieParser from 'cookie-parser';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff, loginStaff, nextTotpCode, signIn, staffCookieHeader, totpNow, type TestStaff } from '../helpers/staff.js';
import { createStaffApp } from '../../server/staff/app.js';
import { Kdf, hashToken, newSymmetricKey, openSealedKey, sealKeyTo, toHex, unwrapKey, CryptoError } from '../../server/core/crypto/index.js';
import { authenticateStaff } from '../../server/core/accounts/auth.js';
import { summariseSignInFailures } from '../../server/core/accounts/failures.js';
import { requireStaff } from '../../server/staff/guard.js';
import { setupViews } from '../../server/web/views.js';
import { localeMiddleware } from '../../server/web/locale.js';
import { errorHandler } from '../../server/web/errors.js';

let t: TestApp;
let reviewer: TestStaff;
beforeAll(async () => {
  t = await createTestApp();
  reviewer = await createStaff(t, { username: 'reviewer.one' });
});
afterAll(async () => {
  await t.close();
});

const db = () => t.ctx.database.db;
const GENERIC = '用户名、密码或验证码不正确';

async function auditRows(event: string) {
  return db().selectFrom('audit_log').select(['actor_kind', 'actor_id', 'subject_id', 'details']).where('event', '=', event).orderBy('seq').execute();
}

/** The page minus its per-request CSRF token, to compare responses. */
const withoutToken = (html: string) => html.replace(/name="_csrf" value="[^"]+"/g, '');

describe('staff sign-in', () => {
  it('signs in with username, password and TOTP, sets a strict HttpOnly cookie and audits it', async () => {
    const staff = await createStaff(t);
    const { res, staffCookie } = await signIn(t.staffApp, { username: staff.username, password: staff.password, code: await nextTotpCode(staff) });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/staff');
    const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('pg_staff='))!;
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Strict/);
    expect(header).not.toMatch(/Max-Age|Expires/); // a browser-session cookie; the server enforces expiry
    expect(staffCookie).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const [id] = staffCookie!.split('.');
    const row = await db().selectFrom('sessions').selectAll().where('id_hash', '=', hashToken(id!)).executeTakeFirstOrThrow();
    expect(row.principal_id).toBe(staff.id);
    const succeeded = await auditRows('staff.login_succeeded');
    expect(succeeded.at(-1)).toMatchObject({ actor_kind: 'staff', actor_id: staff.id });
  });

  it('gives one generic answer for every failure, and the audit log says which factor failed', async () => {
    const staff = await createStaff(t);
    const attempts = [
      { username: staff.username, password: staff.password + 'x', code: '000000' },
      { username: staff.username, password: staff.password, code: String((Number(totpNow(staff.totpSecret)) + 1) % 1_000_000).padStart(6, '0') },
      { username: 'no.such.person', password: 'correct horse battery', code: '123456' },
    ];
    const pages: string[] = [];
    for (const fields of attempts) {
      const { res, staffCookie } = await signIn(t.staffApp, fields);
      expect(res.status).toBe(401);
      expect(res.text).toContain(GENERIC);
      expect(staffCookie).toBeNull();
      pages.push(withoutToken(res.text));
    }
    // The page for an unknown account is the page for a wrong password, byte for byte.
    expect(pages[2]).toBe(pages[0]!.replace(staff.username, 'no.such.person'));
    // A right password with a wrong code is written at once: someone knows the password.
    const immediate = (await auditRows('staff.login_failed')).filter((r) => r.actor_id === staff.id);
    expect(immediate.map((r) => r.details)).toEqual([{ reason: 'totp' }]);
    // Plain failures are summed per account and hour, and written once the hour is over.
    await db().transaction().execute((trx) => summariseSignInFailures(trx, new Date(Date.now() + 3600_000)));
    const summaries = (await auditRows('staff.login_failed')).filter((r) => r.details.windowStart);
    expect(summaries.find((r) => r.actor_id === staff.id)!.details).toMatchObject({ failures: 1, password: 1, windowMinutes: 60 });
    expect(summaries.find((r) => r.actor_id === null)!.details).toMatchObject({ failures: 1, unknown_account: 1 });
    const everything = JSON.stringify(await db().selectFrom('audit_log').selectAll().execute()) + JSON.stringify(await db().selectFrom('rate_limits').selectAll().execute());
    expect(everything).not.toContain('no.such.person');
    expect(everything).not.toContain('correct horse battery');
  });

  it('refuses a TOTP code that was already used (replay), even with the right password', async () => {
    const staff = await createStaff(t);
    const code = await nextTotpCode(staff);
    expect((await signIn(t.staffApp, { username: staff.username, password: staff.password, code })).res.status).toBe(303);
    const replay = await signIn(t.staffApp, { username: staff.username, password: staff.password, code });
    expect(replay.res.status).toBe(401);
    // The code was right but already used in its 30-second step, and the page says so.
    expect(replay.res.text).not.toContain(GENERIC);
    expect(replay.res.text).toContain('这个动态验证码刚刚已经用过了');
    expect((await auditRows('staff.login_failed')).at(-1)!.details).toEqual({ reason: 'totp_replay' });
  });

  it('re-renders the form with per-field messages and the typed username on bad input', async () => {
    const res = await signIn(t.staffApp, { username: 'wang.li', password: '', code: '12ab' });
    expect(res.res.status).toBe(400);
    expect(res.res.text).toContain('value="wang.li"');
    expect(res.res.text).toContain('href="#password"');
    expect(res.res.text).toContain('动态验证码是 6 位数字');
    expect(res.res.text).toMatch(/aria-describedby="code-hint code-error"/);
    const odd = await signIn(t.staffApp, { username: 'x'.repeat(5000), password: 'y', code: '123456' });
    expect(odd.res.status).toBe(400);
  });

  it('signs out: the session row (and its wrapped key) is deleted, the cookie cleared, the event audited', async () => {
    const staff = await createStaff(t);
    const agent = await loginStaff(t, staff);
    const page = await agent.get('/staff/account/password');
    expect(page.status).toBe(200);
    const before = await db().selectFrom('sessions').select('id_hash').where('principal_id', '=', staff.id).execute();
    expect(before).toHaveLength(1);
    const out = await agent.post('/staff/logout').type('form').send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1] });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/staff/login?signedOut=1');
    expect(String(out.headers['set-cookie'])).toMatch(/pg_staff=;/);
    expect(await db().selectFrom('sessions').select('id_hash').where('principal_id', '=', staff.id).execute()).toHaveLength(0);
    expect((await agent.get('/staff/account/password')).status).toBe(303);
    expect((await auditRows('staff.logout')).at(-1)).toMatchObject({ actor_id: staff.id });
    expect((await agent.get('/staff/login?signedOut=1')).text).toContain('您已安全退出');
  });
});

describe('requireStaff', () => {
  it('redirects without a valid session and 403s a reviewer on an admin page', async () => {
    for (const cookie of [undefined, 'garbage', 'a.b', `${'A'.repeat(24)}.${'B'.repeat(43)}`]) {
      const res = await request(t.staffApp).get('/staff/admin/staff').set('Cookie', cookie ? staffCookieHeader(t, cookie) : '');
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/staff/login');
    }
    const agent = await loginStaff(t, reviewer);
    const forbidden = await agent.get('/staff/admin/staff');
    expect(forbidden.status).toBe(403);
    expect(forbidden.text).toContain('此页面仅限系统管理员访问');
    expect(forbidden.text).toContain('reviewer.one'); // staff layout, signed-in header
  });

  it('sets req.staff with the unwrapped private key, and enforces the custodian flag', async () => {
    const app = express();
    setupViews(app, 'staff', false);
    app.use(cookieParser());
    app.use(localeMiddleware(t.config.staff, '/staff/lang'));
    app.get('/staff/identity', requireStaff(t.ctx, { custodian: true }), (req, res) => {
      res.json({ ...req.staff, publicKey: toHex(req.staff!.publicKey), privateKey: req.staff!.privateKey.length, user: res.locals.staffUser });
    });
    app.use(errorHandler(t.ctx.logger, 'staff'));
    const custodian = await createStaff(t, { custodian: true });
    const login = await signIn(t.staffApp, { username: custodian.username, password: custodian.password, code: await nextTotpCode(custodian) });
    const ok = await request(app).get('/staff/identity').set('Cookie', staffCookieHeader(t, login.staffCookie!));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      id: custodian.id,
      username: custodian.username,
      role: 'reviewer',
      isCustodian: true,
      publicKey: toHex(custodian.publicKey),
      privateKey: 32,
      sessionCreatedAt: expect.any(String),
      user: { username: custodian.username, role: 'reviewer', isCustodian: true, sessionUntil: expect.any(String) },
    });
    // The page's "signed in until": 30 idle minutes from now (less one touch interval), within the 12-hour limit.
    const until = new Date(ok.body.user.sessionUntil).getTime() - Date.now();
    expect(until).toBeGreaterThan(28 * 60_000);
    expect(until).toBeLessThanOrEqual(30 * 60_000);
    const plain = await signIn(t.staffApp, { username: reviewer.username, password: reviewer.password, code: await nextTotpCode(reviewer) });
    const refused = await request(app).get('/staff/identity').set('Cookie', staffCookieHeader(t, plain.staffCookie!));
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('此操作仅限身份保管人');
  });
});

describe('staff sessions', () => {
  it('expire after 30 idle minutes and after 12 hours in any case', async () => {
    const staff = await createStaff(t);
    const { staffCookie } = await signIn(t.staffApp, { username: staff.username, password: staff.password, code: await nextTotpCode(staff) });
    const idHash = hashToken(staffCookie!.split('.')[0]!);
    const get = () => request(t.staffApp).get('/staff/account/password').set('Cookie', staffCookieHeader(t, staffCookie!));
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

    await db().updateTable('sessions').set({ last_seen_at: minutesAgo(29) }).where('id_hash', '=', idHash).execute();
    expect((await get()).status).toBe(200);
    await db().updateTable('sessions').set({ created_at: minutesAgo(11 * 60), expires_at: new Date(Date.now() + 60_000) }).where('id_hash', '=', idHash).execute();
    expect((await get()).status).toBe(200);
    await db().updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('id_hash', '=', idHash).execute();
    expect((await get()).headers.location).toBe('/staff/login');
    expect(await db().selectFrom('sessions').select('id_hash').where('id_hash', '=', idHash).executeTakeFirst()).toBeUndefined();

    const second = await signIn(t.staffApp, { username: staff.username, password: staff.password, code: await nextTotpCode(staff) });
    const secondHash = hashToken(second.staffCookie!.split('.')[0]!);
    await db().updateTable('sessions').set({ last_seen_at: minutesAgo(31) }).where('id_hash', '=', secondHash).execute();
    const idle = await request(t.staffApp).get('/staff/account/password').set('Cookie', staffCookieHeader(t, second.staffCookie!));
    expect(idle.status).toBe(303);
    expect(idle.headers.location).toBe('/staff/login');
  });

  it('the database row alone cannot recover the private key; the cookie and the row together can', async () => {
    const owner = await createStaff(t);
    const { staffCookie } = await signIn(t.staffApp, { username: owner.username, password: owner.password, code: await nextTotpCode(owner) });
    const principal = (await authenticateStaff({ db: db() }, staffCookie))!;
    const grant = sealKeyTo(newSymmetricKey(), owner.publicKey);
    expect(openSealedKey(grant, principal)).toHaveLength(32); // the session's key is the real private key

    const [id, secret] = staffCookie!.split('.');
    const row = await db().selectFrom('sessions').selectAll().where('id_hash', '=', hashToken(id!)).executeTakeFirstOrThrow();
    const staffRow = await db().selectFrom('staff').selectAll().where('id', '=', owner.id).executeTakeFirstOrThrow();
    const stored = [...Object.values(row), ...Object.values(staffRow)]
      .map((v) => (v instanceof Uint8Array ? toHex(new Uint8Array(v)) : JSON.stringify(v)))
      .join('|');
    expect(stored).not.toContain(toHex(principal.privateKey));
    expect(stored).not.toContain(id);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(toHex(new Uint8Array(Buffer.from(secret!, 'base64url'))));
    // Every 32-byte value the rows hold, tried as the session secret, fails to unwrap the key.
    const candidates = [row.id_hash, staffRow.public_key!, staffRow.kek_salt!].map((b) => new Uint8Array(32).fill(0).map((_, i) => new Uint8Array(b)[i % b.length]!));
    for (const candidate of candidates) expect(() => unwrapKey(new Uint8Array(row.wrapped_key!), candidate)).toThrow(CryptoError);
    // The right id with any other secret opens nothing.
    const forged = `${id}.${Buffer.alloc(32, 7).toString('base64url')}`;
    expect(await authenticateStaff({ db: db() }, forged)).toBeNull();
  });

  it('any app instance on the same database can serve the session', async () => {
    // Two independent app instances (own Kdf, own logger) as behind a load balancer.
    const instanceA = createStaffApp({ ...t.ctx, kdf: new Kdf(t.config.argon2) });
    const instanceB = createStaffApp({ ...t.ctx, kdf: new Kdf(t.config.argon2) });
    const staff = await createStaff(t);
    const { staffCookie } = await signIn(instanceA, { username: staff.username, password: staff.password, code: await nextTotpCode(staff) });
    const onB = await request(instanceB).get('/staff/account/password').set('Cookie', staffCookieHeader(t, staffCookie!));
    expect(onB.status).toBe(200);
    expect(onB.text).toContain(staff.username);
  });

  it('a password wrapped under an older argon2id cost still signs in, and is re-wrapped under the current one', async () => {
    const staff = await createStaff(t); // wrapped at the test cost, m=1024
    const dearer = { ...t.config.argon2, memoryKiB: 2048 };
    const upgraded = createStaffApp({ ...t.ctx, kdf: new Kdf(dearer) });
    const first = await signIn(upgraded, { username: staff.username, password: staff.password, code: await nextTotpCode(staff) });
    expect(first.res.status).toBe(303);
    const row = await db().selectFrom('staff').select(['kek_cost']).where('id', '=', staff.id).executeTakeFirstOrThrow();
    expect(row.kek_cost).toBe('argon2id:m=2048,t=1,p=1');
    const principal = await authenticateStaff({ db: db() }, first.staffCookie);
    expect(Buffer.from(principal!.publicKey)).toEqual(Buffer.from(staff.publicKey));
  });
});
