import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import type { TestApp } from './app.js';
import { fetchCsrf } from './forms.js';
import { createInvite, createOrganisation, createOutlet } from '../../server/core/organisations/service.js';
import { findOrganisationByName } from '../../server/core/organisations/repository.js';

export type TestEmployee = {
  readonly id: string;
  readonly outletId: string;
  readonly name: string;
  readonly employeeNumber: string;
  readonly phone: string;
  password: string;
  /** An agent signed in as this employee (from the join itself). */
  readonly agent: TestAgent;
};

let counter = 0;

/** An outlet (and its company, created once per name) made through the real services, as the CLI does. */
export async function createTestOutlet(t: TestApp, opts: { company?: string; outlet?: string; province?: string; city?: string } = {}) {
  const { db } = t.database;
  const company = opts.company ?? '测试速运';
  const org = (await findOrganisationByName(db, company)) ?? (await createOrganisation(db, { kind: 'cli' }, company));
  return createOutlet(db, { kind: 'cli' }, {
    organisationId: org.id,
    name: opts.outlet ?? `测试网点${++counter}`,
    province: opts.province ?? 'GD',
    city: opts.city ?? '深圳',
  });
}

/** A fresh invite code for an outlet (a new outlet unless one is given). */
export async function createInviteCode(t: TestApp, opts: { outletId?: string; days?: number; uses?: number } = {}) {
  const outletId = opts.outletId ?? (await createTestOutlet(t)).id;
  const invite = await createInvite(t.database.db, { kind: 'cli' }, { outletId, days: opts.days ?? 14, maxUses: opts.uses ?? 20 });
  return { ...invite, outletId };
}

/** A phone number no other test employee has (a Chinese mobile number). */
export function uniquePhone(): string {
  return `139${String(Date.now() % 1e5).padStart(5, '0')}${String(++counter % 1000).padStart(3, '0')}`;
}

/** Joins through the real /employee/join form, exactly as a courier would. */
export async function createEmployee(
  t: TestApp,
  opts: { outletId?: string; code?: string; name?: string; employeeNumber?: string; phone?: string; password?: string } = {},
): Promise<TestEmployee> {
  const invite = opts.code ? { code: opts.code, outletId: opts.outletId! } : await createInviteCode(t, { outletId: opts.outletId });
  const person = {
    name: opts.name ?? `快递员${++counter}`,
    employeeNumber: opts.employeeNumber ?? `SF-${counter}`,
    phone: opts.phone ?? uniquePhone(),
    password: opts.password ?? 'parcel rain window 73',
  };
  const agent = request.agent(t.publicApp);
  const csrf = await fetchCsrf(agent, '/employee/join');
  const res = await agent
    .post('/employee/join')
    .type('form')
    .send({ _csrf: csrf, inviteCode: invite.code, ...person, passwordConfirm: person.password });
  if (res.status !== 303) throw new Error(`join failed with ${res.status}: ${res.text.slice(0, 500)}`);
  const row = await t.database.db.selectFrom('employees').select(['id']).orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
  return { id: row.id, outletId: invite.outletId, agent, ...person };
}

/** A new agent signed in through /employee/login. */
export async function loginEmployee(t: TestApp, e: Pick<TestEmployee, 'phone' | 'password'>): Promise<TestAgent> {
  const agent = request.agent(t.publicApp);
  const csrf = await fetchCsrf(agent, '/employee/login');
  const res = await agent.post('/employee/login').type('form').send({ _csrf: csrf, phone: e.phone, password: e.password });
  if (res.status !== 303) throw new Error(`login failed with ${res.status}`);
  return agent;
}
