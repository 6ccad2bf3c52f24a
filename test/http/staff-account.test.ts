import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff, nextTotpCode, postForm, signIn, staffCookieHeader, staffSession, type TestStaff } from '../helpers/staff.js';
import { CryptoError, formatRecoveryKey, newRecoveryKey, newSymmetricKey, openSealedKey, parseRecoveryKey, sealKeyTo, unwrapKey } from '../../server/core/crypto/index.js';
import { authenticateStaff } from '../../server/core/accounts/auth.js';
import { unlockStaff } from '../../server/core/accounts/staff-keys.js';
import { findStaffById } from '../../server/core/accounts/repository.js';
import { deactivateStaff } from '../../server/core/accounts/service.js';
import { createSession } from '../../server/core/sessions/store.js';

let t: TestApp;
let admin: TestStaff;
beforeAll(async () => {
  t = await createTestApp();
  admin = await createStaff(t, { role: 'admin', username: 'admin.one' });
});
afterAll(async () => {
  await t.close();
});

const db = () => t.ctx.database.db;
const NEW_PASSWORD = 'amber ferry lantern seventeen';

async function auditOf(event: string, subjectId: string) {
  return db().selectFrom('audit_log').select(['actor_kind', 'actor_id', 'details']).where('event', '=', event).where('subject_id', '=', subjectId).execute();
}

async function isSignedIn(cookie: string): Promise<boolean> {
  const res = await request(t.staffApp).get('/staff/account/password').set('Cookie', staffCookieHeader(t, cookie));
  return res.status === 200;
}

describe('password change', () => {
  it('re-wraps the same private key under the new password and ends every other session', async () => {
    const staff = await createStaff(t);
    const here = await staffSession(t, staff);
    const elsewhere = await staffSession(t, staff);
    const grantBefore = sealKeyTo(newSymmetricKey(), staff.publicKey); // a report key granted before the change
    const saltBefore = (await findStaffById(db(), staff.id))!.kek_salt!;
    const page = '/staff/account/password';

    const wrong = await postForm(t.staffApp, page, page, { currentPassword: 'not my password', newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD, code: '000000' }, { staffCookie: here });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('当前密码或验证码不正确');
    const weak = await postForm(t.staffApp, page, page, { currentPassword: staff.password, newPassword: 'iloveyou2024', newPasswordConfirm: 'iloveyou2024', code: '000000' }, { staffCookie: here });
    expect(weak.status).toBe(400);
    expect(weak.text).toContain('这个密码太常见');

    const done = await postForm(t.staffApp, page, page, { currentPassword: staff.password, newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD, code: await nextTotpCode(staff) }, { staffCookie: here });
    expect(done.status).toBe(200);
    expect(done.text).toContain('密码已修改');
    const fresh = /pg_staff=([^;]+)/.exec(String(done.headers['set-cookie']))![1]!;
    expect(await isSignedIn(fresh)).toBe(true);
    expect(await isSignedIn(here)).toBe(false); // the session id changes with the credentials
    expect(await isSignedIn(elsewhere)).toBe(false);

    const row = (await findStaffById(db(), staff.id))!;
    expect(Buffer.from(row.kek_salt!)).not.toEqual(Buffer.from(saltBefore));
    expect(await unlockStaff(t.ctx.kdf, row, staff.password)).toBeNull();
    const unlocked = (await unlockStaff(t.ctx.kdf, row, NEW_PASSWORD))!;
    expect(openSealedKey(grantBefore, unlocked.keys)).toHaveLength(32);
    const viaSession = (await authenticateStaff({ db: db() }, fresh))!;
    expect(openSealedKey(grantBefore, viaSession)).toHaveLength(32);

    const oldLogin = await signIn(t.staffApp, { username: staff.username, password: staff.password, code: '000000' });
    expect(oldLogin.res.status).toBe(401);
    const newLogin = await signIn(t.staffApp, { username: staff.username, password: NEW_PASSWORD, code: await nextTotpCode(staff) });
    expect(newLogin.res.status).toBe(303);
    expect(await auditOf('staff.password_changed', staff.id)).toEqual([{ actor_kind: 'staff', actor_id: staff.id, details: { sessionsEnded: 2 } }]);
  });
});

describe('recovery with the recovery key', () => {
  const recover = (fields: Record<string, string>) => postForm(t.staffApp, '/staff/recover', '/staff/recover', fields);

  it('sets a new password, issues a new recovery key, spends the old one and ends all sessions', async () => {
    const staff = await createStaff(t);
    const session = await staffSession(t, staff);
    const grant = sealKeyTo(newSymmetricKey(), staff.publicKey);
    const base = { username: staff.username, newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD };

    const malformed = await recover({ ...base, recoveryKey: 'ABCD-EFGH', code: '000000' });
    expect(malformed.status).toBe(400);
    expect(malformed.text).toContain('这不是有效的恢复密钥');
    expect(malformed.text).toContain(`value="${staff.username}"`);
    const wrongKey = await recover({ ...base, recoveryKey: formatRecoveryKey(newRecoveryKey()), code: '000000' });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.text).toContain('用户名、恢复密钥或验证码不正确');
    expect(await isSignedIn(session)).toBe(true);

    // Typed back in lower case without dashes: still the key.
    const typed = staff.recoveryKey.toLowerCase().replace(/-/g, ' ');
    const done = await recover({ ...base, recoveryKey: typed, code: await nextTotpCode(staff) });
    expect(done.status).toBe(200);
    const newKeyText = /class="recovery-key"[^>]*>([^<]+)</.exec(done.text)![1]!;
    expect(newKeyText).not.toBe(staff.recoveryKey);
    expect(await isSignedIn(session)).toBe(false);

    const row = (await findStaffById(db(), staff.id))!;
    expect(() => unwrapKey(new Uint8Array(row.recovery_wrapped_private_key!), parseRecoveryKey(staff.recoveryKey)!)).toThrow(CryptoError);
    const privateKey = unwrapKey(new Uint8Array(row.recovery_wrapped_private_key!), parseRecoveryKey(newKeyText)!);
    expect(openSealedKey(grant, { publicKey: staff.publicKey, privateKey })).toHaveLength(32);
    expect(await unlockStaff(t.ctx.kdf, row, staff.password)).toBeNull();

    const login = await signIn(t.staffApp, { username: staff.username, password: NEW_PASSWORD, code: await nextTotpCode(staff) });
    expect(login.res.status).toBe(303);
    const again = await recover({ ...base, recoveryKey: staff.recoveryKey, code: '000000' });
    expect(again.status).toBe(401);
    expect(await auditOf('staff.recovered', staff.id)).toEqual([{ actor_kind: 'staff', actor_id: staff.id, details: { sessionsEnded: 1 } }]);
  });

  it('is refused for a deactivated account', async () => {
    const staff = await createStaff(t);
    await deactivateStaff({ db: db(), kdf: t.ctx.kdf, config: t.config }, staff.id, { kind: 'cli' });
    const res = await recover({ username: staff.username, recoveryKey: staff.recoveryKey, newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD, code: await nextTotpCode(staff) });
    expect(res.status).toBe(401);
  });
});

describe('account administration', () => {
  it('creates an account with a working one-time link, and refuses bad or duplicate names', async () => {
    const cookie = await staffSession(t, admin);
    const page = '/staff/admin/staff';
    const list = await request(t.staffApp).get(page).set('Cookie', staffCookieHeader(t, cookie));
    expect(list.status).toBe(200);
    expect(list.text).toContain('admin.one');
    expect(list.text).not.toContain(`/staff/admin/staff/${admin.id}/deactivate`); // no button to remove oneself

    const bad = await postForm(t.staffApp, page, page, { username: 'x', role: 'reviewer' }, { staffCookie: cookie });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('用户名须为 3 至 32 个字符');
    const custodianAdmin = await postForm(t.staffApp, page, page, { username: 'new.admin', role: 'admin', custodian: 'yes' }, { staffCookie: cookie });
    expect(custodianAdmin.status).toBe(400);
    expect(custodianAdmin.text).toContain('只有审核员可以担任身份保管人');
    expect(custodianAdmin.text).toContain('value="new.admin"');

    const created = await postForm(t.staffApp, page, page, { username: 'liu.yang', role: 'reviewer', custodian: 'yes' }, { staffCookie: cookie });
    expect(created.status).toBe(200);
    const url = /id="enrol-url"[^>]*value="([^"]+)"/.exec(created.text)![1]!;
    expect((await request(t.staffApp).get(new URL(url).pathname)).text).toContain('liu.yang');
    const row = await db().selectFrom('staff').selectAll().where('username', '=', 'liu.yang').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ role: 'reviewer', is_custodian: true, status: 'pending' });
    expect(await auditOf('staff.created', row.id)).toEqual([{ actor_kind: 'staff', actor_id: admin.id, details: { role: 'reviewer', custodian: true } }]);

    const duplicate = await postForm(t.staffApp, page, page, { username: 'LIU.YANG', role: 'reviewer' }, { staffCookie: cookie });
    expect(duplicate.status).toBe(409);
    expect(duplicate.text).toContain('该用户名已被使用');

    // A new link replaces the old one.
    const reissued = await postForm(t.staffApp, page, `/staff/admin/staff/${row.id}/enrol-link`, {}, { staffCookie: cookie });
    const newUrl = /id="enrol-url"[^>]*value="([^"]+)"/.exec(reissued.text)![1]!;
    expect(newUrl).not.toBe(url);
    expect((await request(t.staffApp).get(new URL(url).pathname)).status).toBe(404);
    expect((await request(t.staffApp).get(new URL(newUrl).pathname)).status).toBe(200);
  });

  it('deactivation ends all of that user’s sessions at once, is audited, and blocks sign-in', async () => {
    const cookie = await staffSession(t, admin);
    const victim = await createStaff(t);
    const phone = await staffSession(t, victim);
    const laptop = await staffSession(t, victim);
    expect(await isSignedIn(phone)).toBe(true);

    const confirm = await request(t.staffApp).get(`/staff/admin/staff/${victim.id}/deactivate`).set('Cookie', staffCookieHeader(t, cookie));
    expect(confirm.text).toContain(victim.username);
    const res = await postForm(t.staffApp, `/staff/admin/staff/${victim.id}/deactivate`, `/staff/admin/staff/${victim.id}/deactivate`, {}, { staffCookie: cookie });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/staff/admin/staff?done=deactivated');
    expect(await isSignedIn(phone)).toBe(false);
    expect(await isSignedIn(laptop)).toBe(false);
    expect(await db().selectFrom('sessions').select('id_hash').where('principal_id', '=', victim.id).execute()).toEqual([]);
    expect(await auditOf('staff.deactivated', victim.id)).toEqual([{ actor_kind: 'staff', actor_id: admin.id, details: { previousStatus: 'active', sessionsEnded: 2 } }]);

    const login = await signIn(t.staffApp, { username: victim.username, password: victim.password, code: await nextTotpCode(victim) });
    expect(login.res.status).toBe(401);
    expect(login.res.text).toContain('用户名、密码或验证码不正确');
  });

  it('a session that survived in a stale row is refused once the account is deactivated', async () => {
    const victim = await createStaff(t);
    const keys = (await unlockStaff(t.ctx.kdf, await findStaffById(db(), victim.id), victim.password))!;
    await deactivateStaff({ db: db(), kdf: t.ctx.kdf, config: t.config }, victim.id, { kind: 'cli' });
    // Even a session row written after deactivation (say, by a racing login) opens nothing.
    const late = await createSession(db(), 'staff', victim.id, keys.keys.privateKey);
    expect(await isSignedIn(late)).toBe(false);
  });

  it('refuses self-deactivation, unknown ids, and non-admins; two admins cannot remove each other at once', async () => {
    const cookie = await staffSession(t, admin);
    const self = await postForm(t.staffApp, '/staff/admin/staff', `/staff/admin/staff/${admin.id}/deactivate`, {}, { staffCookie: cookie });
    expect(self.status).toBe(409);
    expect(self.text).toContain('不能停用您自己的账号');
    for (const id of ['not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
      expect((await request(t.staffApp).get(`/staff/admin/staff/${id}/deactivate`).set('Cookie', staffCookieHeader(t, cookie))).status).toBe(404);
    }
    const reviewer = await createStaff(t);
    const reviewerCookie = await staffSession(t, reviewer);
    const refused = await postForm(t.staffApp, '/staff/account/password', `/staff/admin/staff/${admin.id}/deactivate`, {}, { staffCookie: reviewerCookie });
    expect(refused.status).toBe(403);

    const second = await createStaff(t, { role: 'admin' });
    const deps = { db: db(), kdf: t.ctx.kdf, config: t.config };
    const outcomes = await Promise.all([
      deactivateStaff(deps, second.id, { kind: 'staff', id: admin.id }),
      deactivateStaff(deps, admin.id, { kind: 'staff', id: second.id }),
    ]);
    expect(outcomes.sort()).toEqual(['deactivated', 'forbidden']);
    const admins = await db().selectFrom('staff').select('id').where('role', '=', 'admin').where('status', '=', 'active').execute();
    expect(admins).toHaveLength(1);
  });
});
