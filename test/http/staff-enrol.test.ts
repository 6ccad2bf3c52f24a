import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { sql } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { signIn } from '../helpers/staff.js';
import { createStaffAccount } from '../../server/core/accounts/service.js';
import { parseRecoveryKey, unwrapKey, toHex } from '../../server/core/crypto/index.js';
import { verifyAuditChain } from '../../server/core/audit/verify.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const deps = () => ({ db: t.ctx.database.db, kdf: t.ctx.kdf, config: t.ctx.config });
const PASSWORD = 'violet harbour lantern pebble';

async function newLink(username: string, role: 'admin' | 'reviewer' = 'reviewer', isCustodian = false) {
  const link = await createStaffAccount(deps(), { username, role, isCustodian }, { kind: 'cli' });
  if (link === 'taken') throw new Error('taken');
  return { ...link, path: new URL(link.url).pathname };
}

function auditEvents(subjectOrActor: string) {
  return t.ctx.database.db
    .selectFrom('audit_log')
    .select(['event', 'actor_kind', 'actor_id', 'details'])
    .where((eb) => eb.or([eb('subject_id', '=', subjectOrActor), eb('actor_id', '=', subjectOrActor)]))
    .orderBy('seq')
    .execute();
}

function codeFor(secretText: string, offsetSteps = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secretText.replace(/\s+/g, '')) });
  return totp.generate({ timestamp: Date.now() + offsetSteps * 30_000 });
}

describe('staff enrolment', () => {
  it('walks password → recovery key → TOTP and ends signed in; only hashes and sealed values are stored', async () => {
    const link = await newLink('wang.li', 'reviewer', true);
    expect(link.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/staff\/enrol\/[A-Za-z0-9_-]{43}$/);
    const agent = request.agent(t.staffApp);

    const form = await agent.get(link.path);
    expect(form.status).toBe(200);
    expect(form.text).toContain('wang.li');
    expect(form.text).toContain('身份保管人');
    const afterPassword = await agent.post(link.path).type('form').send({ _csrf: csrfTokenFrom(form.text), newPassword: PASSWORD, newPasswordConfirm: PASSWORD });
    expect(afterPassword.status).toBe(303);
    expect(afterPassword.headers.location).toBe('/staff/enrol/recovery');
    expect(String(afterPassword.headers['set-cookie'])).toMatch(/pg_staff=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);

    const recoveryPage = await agent.get('/staff/enrol/recovery');
    const recoveryKey = /class="recovery-key"[^>]*>([^<]+)</.exec(recoveryPage.text)![1]!;
    expect(parseRecoveryKey(recoveryKey)).not.toBeNull();
    // The page can be reloaded until confirmed (same key), so a lost tab does not lose the key.
    expect((await agent.get('/staff/enrol/recovery')).text).toContain(recoveryKey);

    const unconfirmed = await agent.post('/staff/enrol/recovery').type('form').send({ _csrf: csrfTokenFrom(recoveryPage.text) });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.text).toContain('请确认您已保存恢复密钥');
    expect(unconfirmed.text).toContain('href="#stored"');
    const confirmed = await agent.post('/staff/enrol/recovery').type('form').send({ _csrf: csrfTokenFrom(recoveryPage.text), stored: 'yes' });
    expect(confirmed.headers.location).toBe('/staff/enrol/totp');
    // Once confirmed, the recovery key is never shown again.
    const back = await agent.get('/staff/enrol/recovery');
    expect(back.status).toBe(303);
    expect(back.headers.location).toBe('/staff/enrol/totp');

    const totpPage = await agent.get('/staff/enrol/totp');
    expect(totpPage.text).toMatch(/<svg class="totp-qr" role="img" aria-label="[^"]+"/);
    expect(totpPage.text).not.toMatch(/\sstyle="/i);
    const secretText = /<code>([A-Z2-7 ]+)<\/code>/.exec(totpPage.text)![1]!;

    const wrong = await agent.post('/staff/enrol/totp').type('form').send({ _csrf: csrfTokenFrom(totpPage.text), code: codeFor(secretText, 5) });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('验证码不正确');
    const pending = await t.ctx.database.db.selectFrom('staff').selectAll().where('username', '=', 'wang.li').executeTakeFirstOrThrow();
    expect(pending.status).toBe('pending');

    const done = await agent.post('/staff/enrol/totp').type('form').send({ _csrf: csrfTokenFrom(totpPage.text), code: codeFor(secretText, -1) });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/staff/enrol/done');
    expect((await agent.get('/staff/account/password')).status).toBe(200); // signed in

    const row = await t.ctx.database.db.selectFrom('staff').selectAll().where('id', '=', link.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('active');
    expect(row.is_custodian).toBe(true);
    expect(row.enrol_token_hash).toBeNull();
    expect(row.kek_cost).toBe(t.ctx.kdf.currentCost());
    // The recovery key really unwraps the stored recovery copy; nothing stored equals the TOTP secret.
    const privateKey = unwrapKey(new Uint8Array(row.recovery_wrapped_private_key!), parseRecoveryKey(recoveryKey)!);
    expect(privateKey).toHaveLength(32);
    const { rows } = await sql<Record<string, unknown>>`select * from staff`.execute(t.ctx.database.db);
    // Bytes as hex (Buffer.toJSON would otherwise hide them on the pg driver), so a leak would show.
    const dump = rows.map((r) => Object.values(r).map((v) => (v instanceof Uint8Array ? toHex(new Uint8Array(v)) : String(v))).join('|')).join('\n');
    expect(dump).toContain(toHex(new Uint8Array(row.public_key!))); // the dump does show byte columns
    expect(dump).not.toContain(toHex(new Uint8Array(Secret.fromBase32(secretText.replace(/ /g, '')).bytes)));
    expect(dump).not.toContain(toHex(privateKey));
    expect(dump).not.toContain(toHex(parseRecoveryKey(recoveryKey)!));
    expect(dump).not.toContain(link.path.split('/').pop());

    expect((await auditEvents(link.id)).map((e) => e.event)).toEqual(['staff.created', 'keyholder.approved', 'staff.enrolment_started', 'staff.enrolled']);
    expect(await verifyAuditChain(t.ctx.database.db)).toMatchObject({ ok: true });

    // The finished account signs in normally (a later TOTP step than the one used to enrol).
    const login = await signIn(t.staffApp, { username: 'WANG.LI', password: PASSWORD, code: codeFor(secretText, 0) });
    expect(login.res.status).toBe(303);
  });

  it('refuses a used link, and the same link racing in two tabs enrols once', async () => {
    const link = await newLink('zhao.min');
    const a = request.agent(t.staffApp);
    const b = request.agent(t.staffApp);
    const [formA, formB] = await Promise.all([a.get(link.path), b.get(link.path)]);
    const [resA, resB] = await Promise.all([
      a.post(link.path).type('form').send({ _csrf: csrfTokenFrom(formA.text), newPassword: PASSWORD, newPasswordConfirm: PASSWORD }),
      b.post(link.path).type('form').send({ _csrf: csrfTokenFrom(formB.text), newPassword: PASSWORD, newPasswordConfirm: PASSWORD }),
    ]);
    expect([resA.status, resB.status].sort()).toEqual([303, 404]);
    const again = await request(t.staffApp).get(link.path);
    expect(again.status).toBe(404);
    expect(again.text).toContain('注册链接无效');
  });

  it('refuses an expired link and an unknown one, without a 5xx', async () => {
    const link = await newLink('sun.qi');
    await t.ctx.database.db.updateTable('staff').set({ enrol_expires_at: new Date(Date.now() - 1000) }).where('id', '=', link.id).execute();
    expect((await request(t.staffApp).get(link.path)).status).toBe(404);
    for (const path of ['/staff/enrol/x', '/staff/enrol/' + 'A'.repeat(43), '/staff/enrol/%00%27', '/staff/enrol/recovery', '/staff/enrol/totp']) {
      const res = await request(t.staffApp).get(path);
      expect(res.status, path).toBe(404);
    }
  });

  it('refuses short, common and mismatched passwords, keeping the form and explaining why', async () => {
    const link = await newLink('zhou.yan');
    const agent = request.agent(t.staffApp);
    const form = await agent.get(link.path);
    const cases: Array<[Record<string, string>, string]> = [
      [{ newPassword: 'shortpw', newPasswordConfirm: 'shortpw' }, '密码至少需要 8 个字符'],
      [{ newPassword: 'short pass', newPasswordConfirm: 'short pass' }, '这个密码太容易被猜到'],
      [{ newPassword: 'Qwerty123456', newPasswordConfirm: 'Qwerty123456' }, '这个密码太常见'],
      [{ newPassword: 'zhou.yan harbour', newPasswordConfirm: 'zhou.yan harbour' }, '密码不能包含用户名'],
      [{ newPassword: PASSWORD, newPasswordConfirm: PASSWORD + 'x' }, '两次输入的新密码不一致'],
      [{}, '请输入新密码'],
    ];
    for (const [fields, message] of cases) {
      const res = await agent.post(link.path).type('form').send({ _csrf: csrfTokenFrom(form.text), ...fields });
      expect(res.status, message).toBe(400);
      expect(res.text).toContain(message);
      expect(res.text).toContain('class="error-summary"');
      expect(res.text).toMatch(/aria-describedby="newPassword(Confirm)?-(hint newPassword-)?error"|aria-describedby="newPassword-hint newPassword-error"/);
      expect(res.text).not.toContain(fields.newPassword ?? '\u0000'); // passwords are never echoed
    }
    // Still usable afterwards: a refused password does not burn the link.
    const ok = await agent.post(link.path).type('form').send({ _csrf: csrfTokenFrom(form.text), newPassword: PASSWORD, newPasswordConfirm: PASSWORD });
    expect(ok.status).toBe(303);
  });

  it('in English too', async () => {
    const link = await newLink('chen.bo');
    const res = await request(t.staffApp).get(link.path).set('Accept-Language', 'en');
    expect(res.text).toContain('Choose your password');
    expect(res.text).not.toMatch(/staff\.[a-z]+\.[A-Za-z]+/); // no untranslated keys
  });

  it('a half-finished enrolment is not a sign-in and cannot log in', async () => {
    const link = await newLink('lin.tao');
    const agent = request.agent(t.staffApp);
    const form = await agent.get(link.path);
    await agent.post(link.path).type('form').send({ _csrf: csrfTokenFrom(form.text), newPassword: PASSWORD, newPasswordConfirm: PASSWORD });
    const guarded = await agent.get('/staff/account/password');
    expect(guarded.status).toBe(303);
    expect(guarded.headers.location).toBe('/staff/login');
    const login = await signIn(t.staffApp, { username: 'lin.tao', password: PASSWORD, code: '123456' });
    expect(login.res.status).toBe(401);
    expect(login.staffCookie).toBeNull();
  });
});
