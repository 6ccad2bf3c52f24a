import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { fetchCsrf } from '../helpers/forms.js';
import { createEmployee, createInviteCode, loginEmployee } from '../helpers/employees.js';
import { normalisePhone } from '../../server/core/crypto/index.js';
import { legacyLoginLookup, loginLookup } from '../../server/core/employees/lookup.js';
import { runCli } from '../helpers/cli.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** Turns an account back into what the migration leaves behind: a version-1 (HMAC) lookup. */
async function makeLegacy(employeeId: string, phone: string): Promise<void> {
  const lookup = legacyLoginLookup(t.config.secrets.blindIndexKey, normalisePhone(phone)!);
  await t.database.db.updateTable('employees').set({ login_lookup: lookup, login_lookup_version: 1 }).where('id', '=', employeeId).execute();
}

const lookupOf = (id: string) => t.database.db.selectFrom('employees').select(['login_lookup', 'login_lookup_version']).where('id', '=', id).executeTakeFirstOrThrow();

describe('accounts from before the argon2id lookup', () => {
  it('sign in by their old lookup once, which replaces it with the argon2id lookup', async () => {
    const e = await createEmployee(t);
    await makeLegacy(e.id, e.phone);
    const agent = await loginEmployee(t, e);
    expect((await agent.get('/employee')).status).toBe(200);
    const row = await lookupOf(e.id);
    expect(row.login_lookup_version).toBe(2);
    expect(Buffer.from(row.login_lookup)).toEqual(Buffer.from(await loginLookup(t.ctx, normalisePhone(e.phone)!)));
    // And from then on by the new one.
    await expect(loginEmployee(t, e)).resolves.toBeDefined();
    const events = await t.database.db.selectFrom('audit_log').select('event').where('actor_id', '=', e.id).where('event', '=', 'employee.login_succeeded').execute();
    expect(events).toHaveLength(2);
  });

  it('keep the old lookup after a failed sign-in', async () => {
    const e = await createEmployee(t);
    await makeLegacy(e.id, e.phone);
    await expect(loginEmployee(t, { phone: e.phone, password: 'not the password 1' })).rejects.toThrow();
    expect((await lookupOf(e.id)).login_lookup_version).toBe(1);
  });

  it('still hold their phone number: nobody can join again with it', async () => {
    const e = await createEmployee(t);
    await makeLegacy(e.id, e.phone);
    const invite = await createInviteCode(t);
    const agent = request.agent(t.publicApp);
    const password = 'meadow signal copper 88';
    const _csrf = await fetchCsrf(agent, '/employee/join');
    const res = await agent
      .post('/employee/join')
      .type('form')
      .send({ _csrf, inviteCode: invite.code, name: '重复者', employeeNumber: 'D-1', phone: e.phone, password, passwordConfirm: password });
    expect(res.status).toBe(422);
    expect(res.text).toContain('该手机号已注册');
  });

  it('are hardened by employee:harden-lookups to one argon2id per guess, and still sign in', async () => {
    const e = await createEmployee(t);
    const other = await createEmployee(t);
    await makeLegacy(e.id, e.phone);
    await makeLegacy(other.id, other.phone);
    const hmac = Buffer.from((await lookupOf(e.id)).login_lookup);
    const run = await runCli(t, 'employee:harden-lookups');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/hardened [1-9]\d* lookup/);
    const row = await lookupOf(e.id);
    expect(row.login_lookup_version).toBe(3);
    expect(Buffer.from(row.login_lookup)).not.toEqual(hmac);
    const left = await t.database.db.selectFrom('employees').select('id').where('login_lookup_version', '=', 1).execute();
    expect(left).toEqual([]);
    expect((await runCli(t, 'employee:harden-lookups')).out).toBe('no HMAC lookups left');

    // A wrong password leaves it; the right one replaces it by the version-2 lookup.
    await expect(loginEmployee(t, { phone: e.phone, password: 'not the password 1' })).rejects.toThrow();
    expect((await lookupOf(e.id)).login_lookup_version).toBe(3);
    const agent = await loginEmployee(t, e);
    expect((await agent.get('/employee')).status).toBe(200);
    expect((await lookupOf(e.id)).login_lookup_version).toBe(2);
    // The phone of a hardened account still cannot join again.
    const invite = await createInviteCode(t);
    const joiner = request.agent(t.publicApp);
    const password = 'meadow signal copper 88';
    const _csrf = await fetchCsrf(joiner, '/employee/join');
    const res = await joiner
      .post('/employee/join')
      .type('form')
      .send({ _csrf, inviteCode: invite.code, name: '重复者', employeeNumber: 'D-2', phone: other.phone, password, passwordConfirm: password });
    expect(res.status).toBe(422);
  });
});
