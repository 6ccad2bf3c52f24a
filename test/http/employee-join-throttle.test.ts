import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { fetchCsrf } from '../helpers/forms.js';
import { createInviteCode, uniquePhone } from '../helpers/employees.js';
import { JOIN_CLIENT_RULE } from '../../server/core/employees/service.js';

// A file of its own: it spends this client's join budget, which would refuse later joins.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('guessing invite codes', () => {
  it(`is cut off after ${JOIN_CLIENT_RULE.limit} refused codes, even for a good code, before any argon2id work`, async () => {
    const agent = request.agent(t.publicApp);
    const password = 'meadow signal copper 88';
    const join = async (inviteCode: string) => {
      const _csrf = await fetchCsrf(agent, '/employee/join');
      return agent.post('/employee/join').type('form').send({ _csrf, inviteCode, name: '试探者', employeeNumber: 'X-1', phone: uniquePhone(), password, passwordConfirm: password });
    };
    const statuses: number[] = [];
    for (let i = 0; i < JOIN_CLIENT_RULE.limit; i++) statuses.push((await join(`AAAA-BBBB-${String(1000 + i).slice(0, 4)}`)).status);
    expect(statuses).toEqual(Array(JOIN_CLIENT_RULE.limit).fill(422));
    const good = await createInviteCode(t);
    const refused = await join(good.code);
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('尝试次数过多');
    expect(await t.database.db.selectFrom('employees').selectAll().execute()).toHaveLength(0);
    const invite = await t.database.db.selectFrom('invites').select('uses').where('id', '=', good.id).executeTakeFirstOrThrow();
    expect(invite.uses).toBe(0);
  });
});
