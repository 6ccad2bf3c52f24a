import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createStaff, loginStaff } from '../helpers/staff.js';
import { createEmployee, createTestOutlet, loginEmployee } from '../helpers/employees.js';

let t: TestApp;
let admin: TestAgent;
let reviewer: TestAgent;
beforeAll(async () => {
  t = await createTestApp();
  admin = await loginStaff(t, await createStaff(t, { role: 'admin' }));
  reviewer = await loginStaff(t, await createStaff(t, { role: 'reviewer', custodian: true }));
});
afterAll(async () => {
  await t.close();
});

async function post(agent: TestAgent, pagePath: string, path: string, fields: Record<string, string>) {
  const page = await agent.get(pagePath);
  return agent.post(path).type('form').send({ _csrf: csrfTokenFrom(page.text), ...fields });
}

async function auditEvents(event: string) {
  return t.database.db.selectFrom('audit_log').selectAll().where('event', '=', event).execute();
}

describe('admin only', () => {
  it('a reviewer (even a custodian) gets 403 on every organisation page and action; strangers go to sign-in', async () => {
    const outlet = await createTestOutlet(t);
    for (const path of ['/staff/admin/orgs', `/staff/admin/orgs/outlets/${outlet.id}`]) {
      expect((await reviewer.get(path)).status).toBe(403);
      const anonymous = await request(t.staffApp).get(path);
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.location).toBe('/staff/login');
    }
    const page = await reviewer.get('/staff/account/password');
    const csrf = csrfTokenFrom(page.text);
    for (const path of ['/staff/admin/orgs', '/staff/admin/orgs/outlets', `/staff/admin/orgs/outlets/${outlet.id}/invites`]) {
      const res = await reviewer.post(path).type('form').send({ _csrf: csrf, name: 'x', days: '1', uses: '1' });
      expect(res.status).toBe(403);
    }
    expect(await t.database.db.selectFrom('invites').selectAll().where('outlet_id', '=', outlet.id).execute()).toHaveLength(0);
  });
});

describe('companies and outlets', () => {
  it('creates a company and an outlet, audited, and lists them', async () => {
    const created = await post(admin, '/staff/admin/orgs', '/staff/admin/orgs', { name: '  韵达  快递 ' });
    expect(created.status).toBe(303);
    const org = await t.database.db.selectFrom('organisations').selectAll().where('name', '=', '韵达 快递').executeTakeFirstOrThrow();
    const outletRes = await post(admin, '/staff/admin/orgs', '/staff/admin/orgs/outlets', { organisationId: org.id, name: '福田营业部', province: 'GD', city: '深圳' });
    expect(outletRes.status).toBe(303);
    expect(outletRes.headers.location).toMatch(/^\/staff\/admin\/orgs\/outlets\/[0-9a-f-]{36}$/);
    const list = await admin.get('/staff/admin/orgs');
    expect(list.text).toContain('福田营业部');
    expect(list.text).toContain('广东');
    expect(list.text).not.toMatch(/organisations\.|intake\.provinces/);
    expect((await auditEvents('org.created')).some((r) => r.subject_id === org.id && r.actor_kind === 'staff')).toBe(true);
    expect(await auditEvents('outlet.created')).not.toHaveLength(0);
  });

  it('re-renders both forms with translated messages and the typed values', async () => {
    const dup = await post(admin, '/staff/admin/orgs', '/staff/admin/orgs', { name: '韵达 快递' });
    expect(dup.status).toBe(409);
    expect(dup.text).toContain('这家公司已经登记过');
    expect(dup.text).toContain('value="韵达 快递"');
    const bad = await post(admin, '/staff/admin/orgs', '/staff/admin/orgs/outlets', { organisationId: 'nope', name: '宝安网点', province: 'XX', city: '' });
    expect(bad.status).toBe(422);
    for (const text of ['请选择快递公司', '请选择省份', '请输入城市', 'value="宝安网点"', 'href="#outlet-city"']) expect(bad.text).toContain(text);
  });
});

describe('invite codes', () => {
  it('shows a new code once, stores only its hash, lists it and revokes it', async () => {
    const outlet = await createTestOutlet(t);
    const res = await post(admin, `/staff/admin/orgs/outlets/${outlet.id}`, `/staff/admin/orgs/outlets/${outlet.id}/invites`, { days: '7', uses: '3' });
    expect(res.status).toBe(201);
    const code = /class="org-code"[^>]*>([0-9A-Z-]{14})</.exec(res.text)?.[1];
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    const rows = await t.database.db.selectFrom('invites').selectAll().where('outlet_id', '=', outlet.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.max_uses).toBe(3);
    expect(JSON.stringify(rows) + Buffer.from(rows[0]!.code_hash).toString('latin1')).not.toContain(code!.replace(/-/g, ''));
    const audit = (await auditEvents('invite.created')).find((r) => r.subject_id === rows[0]!.id)!;
    expect(JSON.stringify(audit.details)).not.toContain(code!.slice(0, 4));

    const page = await admin.get(`/staff/admin/orgs/outlets/${outlet.id}`);
    expect(page.text).toContain('0 / 3');
    expect(page.text).not.toContain(code!);
    const revoked = await post(admin, `/staff/admin/orgs/outlets/${outlet.id}`, `/staff/admin/orgs/invites/${rows[0]!.id}/revoke`, {});
    expect(revoked.status).toBe(303);
    expect((await admin.get(revoked.headers.location!)).text).toContain('已作废');
    expect((await auditEvents('invite.revoked')).some((r) => r.subject_id === rows[0]!.id)).toBe(true);
  });

  it('refuses days or uses out of range with the form kept', async () => {
    const outlet = await createTestOutlet(t);
    const res = await post(admin, `/staff/admin/orgs/outlets/${outlet.id}`, `/staff/admin/orgs/outlets/${outlet.id}/invites`, { days: '365', uses: 'lots' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('请输入 1 到 90 之间的整数');
    expect(res.text).toContain('请输入 1 到 1000 之间的整数');
    expect(res.text).toContain('value="365"');
  });

  it('unknown or malformed ids are 404s, never 500s', async () => {
    for (const path of ['/staff/admin/orgs/outlets/not-a-uuid', '/staff/admin/orgs/outlets/00000000-0000-4000-8000-000000000000', '/staff/admin/orgs/employees/zzz/deactivate']) {
      expect((await admin.get(path)).status).toBe(404);
    }
    const res = await post(admin, '/staff/admin/orgs', '/staff/admin/orgs/invites/00000000-0000-4000-8000-000000000000/revoke', {});
    expect(res.status).toBe(404);
  });
});

describe('employees of an outlet', () => {
  it('lists accounts by plain metadata only, and deactivation ends their sessions', async () => {
    const outlet = await createTestOutlet(t);
    const e = await createEmployee(t, { outletId: outlet.id, name: '赵明亮', employeeNumber: 'EMS-3131' });
    const second = await loginEmployee(t, e);
    const page = await admin.get(`/staff/admin/orgs/outlets/${outlet.id}`);
    expect(page.text).toContain('账号 1');
    for (const personal of ['赵明亮', 'EMS-3131', e.phone]) expect(page.text).not.toContain(personal);

    const confirm = await admin.get(`/staff/admin/orgs/employees/${e.id}/deactivate`);
    expect(confirm.status).toBe(200);
    const done = await admin.post(`/staff/admin/orgs/employees/${e.id}/deactivate`).type('form').send({ _csrf: csrfTokenFrom(confirm.text) });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`/staff/admin/orgs/outlets/${outlet.id}?done=deactivated`);

    for (const agent of [e.agent, second]) expect((await agent.get('/employee')).status).toBe(303);
    expect(await t.database.db.selectFrom('sessions').selectAll().where('principal_id', '=', e.id).execute()).toHaveLength(0);
    await expect(loginEmployee(t, e)).rejects.toThrow();
    const audit = (await auditEvents('employee.deactivated')).find((r) => r.subject_id === e.id)!;
    expect(audit.actor_kind).toBe('staff');
    expect((await admin.get(`/staff/admin/orgs/outlets/${outlet.id}`)).text).toContain('已停用');
  });
});
