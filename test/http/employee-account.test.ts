import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { fetchCsrf } from '../helpers/forms.js';
import { createEmployee, createInviteCode, loginEmployee, uniquePhone } from '../helpers/employees.js';
import { createInvite, revokeInvite } from '../../server/core/organisations/service.js';
import { generateBoxKeyPair, hmacSha256, blindIndex, utf8, normalisePhone, employeeLoginSalt } from '../../server/core/crypto/index.js';
import { readInstallation } from '../../server/core/installation/repository.js';
import { summariseSignInFailures } from '../../server/core/accounts/failures.js';
import { openEmployeeIdentity } from '../../server/core/employees/keys.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const PASSWORD = 'courier lantern maple 58';

async function postJoin(fields: Record<string, string>) {
  const agent = request.agent(t.publicApp);
  const csrf = await fetchCsrf(agent, '/employee/join');
  const res = await agent.post('/employee/join').type('form').send({ _csrf: csrf, ...fields });
  return { agent, res };
}

function person(code: string) {
  return { inviteCode: code, name: '王小明', employeeNumber: 'YT-0042', phone: uniquePhone(), password: PASSWORD, passwordConfirm: PASSWORD };
}

describe('joining with an invite code', () => {
  it('a good code creates an account, signs in and uses one slot', async () => {
    const invite = await createInviteCode(t, { uses: 3 });
    const { agent, res } = await postJoin(person(invite.code.toLowerCase().replace(/-/g, ' ')));
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/employee?joined=1');
    const home = await agent.get('/employee?joined=1');
    expect(home.status).toBe(200);
    expect(home.text).toContain('注册成功');
    const row = await t.database.db.selectFrom('invites').select('uses').where('id', '=', invite.id).executeTakeFirstOrThrow();
    expect(row.uses).toBe(1);
    const audit = await t.database.db.selectFrom('audit_log').selectAll().where('event', '=', 'employee.joined').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_kind).toBe('employee');
    expect(JSON.stringify(audit[0]!.details)).not.toContain('王小明');
  });

  it.each([
    ['expired', async () => (await createInvite(t.database.db, { kind: 'cli' }, { outletId: (await createInviteCode(t)).outletId, days: 1, maxUses: 5 }, new Date(Date.now() - 2 * 86400_000))).code],
    ['revoked', async () => {
      const invite = await createInviteCode(t);
      await revokeInvite(t.database.db, { kind: 'cli' }, { code: invite.code });
      return invite.code;
    }],
    ['exhausted', async () => {
      const invite = await createInviteCode(t, { uses: 1 });
      await createEmployee(t, { code: invite.code, outletId: invite.outletId });
      return invite.code;
    }],
    ['unknown', async () => 'ZZZZ-ZZZZ-ZZZZ'],
  ])('an %s code is refused with one clear message, keeping what was typed except the password', async (_kind, makeCode) => {
    const code = await makeCode();
    const before = await t.database.db.selectFrom('employees').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const fields = person(code);
    const { res } = await postJoin(fields);
    expect(res.status).toBe(422);
    expect(res.text).toContain('该邀请码无效或已过期');
    expect(res.text).toContain('value="王小明"');
    expect(res.text).toContain('value="YT-0042"');
    expect(res.text).toContain(`value="${fields.phone}"`);
    expect(res.text).not.toContain(PASSWORD);
    expect(res.text).toContain('href="#inviteCode"');
    const after = await t.database.db.selectFrom('employees').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('an exhausted code does not count past max_uses', async () => {
    const invite = await createInviteCode(t, { uses: 1 });
    await createEmployee(t, { code: invite.code, outletId: invite.outletId });
    await postJoin(person(invite.code));
    const row = await t.database.db.selectFrom('invites').select(['uses', 'max_uses']).where('id', '=', invite.id).executeTakeFirstOrThrow();
    expect(row.uses).toBe(1);
  });

  it('validates every field and explains each problem in English too', async () => {
    const agent = request.agent(t.publicApp);
    const csrf = await fetchCsrf(agent, '/employee/join');
    const res = await agent
      .post('/employee/join')
      .set('Accept-Language', 'en')
      .type('form')
      .send({ _csrf: csrf, inviteCode: 'abc', name: '', employeeNumber: 'x'.repeat(41), phone: '12', password: 'password1234', passwordConfirm: 'other' });
    expect(res.status).toBe(422);
    for (const text of ['Enter the 12-character invite code', 'Enter your name', 'Enter your employee number', 'Enter a valid mobile number', 'too common']) {
      expect(res.text).toContain(text);
    }
    expect(res.text).toContain('aria-invalid="true"');
    expect(res.text).not.toMatch(/employees\.(errors|fields|hints)\./);
  });

  it('refuses a second account for the same phone (however it is written) and keeps the invite slot', async () => {
    const phone = uniquePhone();
    await createEmployee(t, { phone });
    const invite = await createInviteCode(t);
    const { res } = await postJoin({ ...person(invite.code), phone: `+86 ${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}` });
    expect(res.status).toBe(422);
    expect(res.text).toContain('该手机号已注册');
    const row = await t.database.db.selectFrom('invites').select('uses').where('id', '=', invite.id).executeTakeFirstOrThrow();
    expect(row.uses).toBe(0);
  });

  it('never answers a mangled body with a server error', async () => {
    const agent = request.agent(t.publicApp);
    const csrf = await fetchCsrf(agent, '/employee/join');
    const res = await agent.post('/employee/join').type('form').send(`_csrf=${csrf}&inviteCode=%00%ff&name[]=a&phone=${'9'.repeat(500)}`);
    expect(res.status).toBe(422);
  });
});

describe('identity at rest', () => {
  it('is sealed to the employee and to active custodians only (not reviewers, not escrow), and the login lookup is not the phone blind index', async () => {
    const custodian = generateBoxKeyPair();
    const reviewer = generateBoxKeyPair();
    // With an escrow key installed, the identity key must still not be sealed to it.
    await t.database.db.updateTable('installation').set({ escrow_public_key: generateBoxKeyPair().publicKey }).execute();
    const approved = { key_approval: 'cli', key_approved_at: new Date(), key_holder_since: new Date() } as const;
    const inserted = await t.database.db
      .insertInto('staff')
      .values([
        { username: `custodian-${Date.now()}`, role: 'reviewer', is_custodian: true, status: 'active', public_key: custodian.publicKey, ...approved },
        { username: `reviewer-${Date.now()}`, role: 'reviewer', is_custodian: false, status: 'active', public_key: reviewer.publicKey, ...approved },
      ])
      .returning(['id', 'is_custodian'])
      .execute();
    const e = await createEmployee(t, { name: '李四海', employeeNumber: 'ZT-777' });
    const row = await t.database.db.selectFrom('employees').selectAll().where('id', '=', e.id).executeTakeFirstOrThrow();
    const rowText = JSON.stringify(row) + Buffer.from(row.identity_sealed).toString('latin1');
    for (const plain of ['李四海', 'ZT-777', e.phone]) expect(rowText).not.toContain(plain);

    const grants = await t.database.db.selectFrom('employee_key_grants').selectAll().where('employee_id', '=', e.id).execute();
    const custodianId = inserted.find((s) => s.is_custodian)!.id;
    expect(grants.map((g) => `${g.recipient_kind}:${g.recipient_id ?? ''}`).sort()).toEqual([`employee:`, `staff:${custodianId}`].sort());
    const custodianGrant = grants.find((g) => g.recipient_kind === 'staff')!;
    const identity = openEmployeeIdentity(e.id, new Uint8Array(row.identity_sealed), new Uint8Array(custodianGrant.sealed_key), custodian);
    expect(identity).toMatchObject({ name: '李四海', employeeNumber: 'ZT-777', phone: e.phone, company: '测试速运' });
    expect(() => openEmployeeIdentity(e.id, new Uint8Array(row.identity_sealed), new Uint8Array(custodianGrant.sealed_key), reviewer)).toThrow();

    // The lookup is argon2id over the phone with the installation's secret salt (one derivation
    // per guess), neither the phone's blind index nor the old HMAC of the phone.
    const key = t.config.secrets.blindIndexKey;
    const installation = await readInstallation(t.database.db, t.config.secrets.receiptPepper);
    const expected = await t.ctx.kdf.deriveEmployeeLoginLookup(normalisePhone(e.phone)!, employeeLoginSalt(t.config.secrets), installation.receiptKdfCost);
    expect(row.login_lookup_version).toBe(2);
    expect(Buffer.from(row.login_lookup)).toEqual(Buffer.from(expected));
    expect(Buffer.from(row.login_lookup)).not.toEqual(Buffer.from(blindIndex(key, 'phone', e.phone)!));
    expect(Buffer.from(row.login_lookup)).not.toEqual(Buffer.from(hmacSha256(key, utf8(`employee-login:${normalisePhone(e.phone)}`))));
  });
});

describe('signing in and out', () => {
  it('signs in with phone and password, reaches the employee pages, and signs out', async () => {
    const e = await createEmployee(t);
    const agent = await loginEmployee(t, { phone: ` ${e.phone} `, password: e.password });
    const home = await agent.get('/employee');
    expect(home.status).toBe(200);
    expect(home.text).toContain('提交包裹线索');
    const csrf = await fetchCsrf(agent, '/employee');
    const out = await agent.post('/employee/logout').type('form').send({ _csrf: csrf });
    expect(out.status).toBe(303);
    const after = await agent.get('/employee');
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe('/employee/login');
  });

  it('employee pages redirect strangers to the sign-in page', async () => {
    for (const path of ['/employee', '/employee/account/password']) {
      const res = await request(t.publicApp).get(path);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/employee/login');
    }
  });

  it('gives one generic message for a wrong password and an unknown phone, keeping the phone typed', async () => {
    const e = await createEmployee(t);
    for (const attempt of [{ phone: e.phone, password: 'wrong password 123' }, { phone: uniquePhone(), password: e.password }]) {
      const agent = request.agent(t.publicApp);
      const csrf = await fetchCsrf(agent, '/employee/login');
      const res = await agent.post('/employee/login').type('form').send({ _csrf: csrf, ...attempt });
      expect(res.status).toBe(401);
      expect(res.text).toContain('手机号或密码不正确');
      expect(res.text).toContain(`value="${attempt.phone}"`);
      expect(res.headers['set-cookie']?.toString() ?? '').not.toContain('pg_employee=');
    }
    // Written to the audit log summed per account and hour, once the hour is over.
    await t.database.db.transaction().execute((trx) => summariseSignInFailures(trx, new Date(Date.now() + 3600_000)));
    const failed = await t.database.db.selectFrom('audit_log').select(['actor_id', 'details']).where('event', '=', 'employee.login_failed').execute();
    expect(failed.find((r) => r.actor_id === e.id)?.details).toMatchObject({ failures: 1, password: 1 });
    expect(failed.find((r) => r.actor_id === null)?.details).toMatchObject({ unknown_account: 1 });
  });

  it('throttles one account from one address after five failures, refusing even the right password there', async () => {
    const e = await createEmployee(t);
    const agent = request.agent(t.publicApp);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const csrf = await fetchCsrf(agent, '/employee/login');
      const res = await agent.post('/employee/login').type('form').send({ _csrf: csrf, phone: e.phone, password: `not it ${i} xxxxxx` });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const fresh = request.agent(t.publicApp);
    const csrf = await fetchCsrf(fresh, '/employee/login');
    const right = await fresh.post('/employee/login').type('form').send({ _csrf: csrf, phone: e.phone, password: e.password });
    expect(right.status).toBe(429);
    expect(right.text).toContain('尝试次数过多');
    expect(right.headers['retry-after']).toBeDefined();
  });

  it('the rate-limit table holds neither the employee id nor the login lookup', async () => {
    const rows = await t.database.db.selectFrom('rate_limits').selectAll().execute();
    const employees = await t.database.db.selectFrom('employees').select(['id', 'login_lookup']).execute();
    const text = JSON.stringify(rows);
    for (const e of employees) {
      expect(text).not.toContain(e.id);
      expect(text).not.toContain(Buffer.from(e.login_lookup).toString('hex'));
    }
  });
});

describe('changing the password', () => {
  it('needs the current password, re-wraps the key, and signs out other sessions', async () => {
    const e = await createEmployee(t);
    const other = await loginEmployee(t, e);
    const csrf = await fetchCsrf(e.agent, '/employee/account/password');
    const wrong = await e.agent
      .post('/employee/account/password')
      .type('form')
      .send({ _csrf: csrf, currentPassword: 'not my password 1', newPassword: 'harbour kite velvet 19', newPasswordConfirm: 'harbour kite velvet 19' });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('当前密码不正确');

    const before = await t.database.db.selectFrom('employees').select(['wrapped_private_key', 'public_key']).where('id', '=', e.id).executeTakeFirstOrThrow();
    const csrf2 = await fetchCsrf(e.agent, '/employee/account/password');
    const ok = await e.agent
      .post('/employee/account/password')
      .type('form')
      .send({ _csrf: csrf2, currentPassword: e.password, newPassword: 'harbour kite velvet 19', newPasswordConfirm: 'harbour kite velvet 19' });
    expect(ok.status).toBe(303);
    expect((await e.agent.get('/employee')).status).toBe(200); // this browser got a fresh session
    expect((await other.get('/employee')).status).toBe(303); // the other one was signed out
    const after = await t.database.db.selectFrom('employees').select(['wrapped_private_key', 'public_key']).where('id', '=', e.id).executeTakeFirstOrThrow();
    expect(Buffer.from(after.public_key)).toEqual(Buffer.from(before.public_key));
    expect(Buffer.from(after.wrapped_private_key)).not.toEqual(Buffer.from(before.wrapped_private_key));

    await expect(loginEmployee(t, e)).rejects.toThrow();
    await expect(loginEmployee(t, { phone: e.phone, password: 'harbour kite velvet 19' })).resolves.toBeDefined();
    const events = await t.database.db.selectFrom('audit_log').select('event').where('actor_id', '=', e.id).execute();
    expect(events.map((r) => r.event)).toContain('employee.password_changed');
  });

  it('refuses a weak new password with the policy message', async () => {
    const e = await createEmployee(t);
    const csrf = await fetchCsrf(e.agent, '/employee/account/password');
    const res = await e.agent
      .post('/employee/account/password')
      .type('form')
      .send({ _csrf: csrf, currentPassword: e.password, newPassword: 'short', newPasswordConfirm: 'short' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('至少需要 8 个字符');
  });
});
