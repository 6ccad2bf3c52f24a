import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { fetchCsrf } from '../helpers/forms.js';
import { uniquePhone } from '../helpers/employees.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** Runs one command line against the test database, capturing what it prints. */
const cli = (...argv: string[]) => runCli(t, ...argv);

async function join(code: string) {
  const agent = request.agent(t.publicApp);
  const csrf = await fetchCsrf(agent, '/employee/join');
  const password = 'quiet orchard ladder 42';
  return agent.post('/employee/join').type('form').send({
    _csrf: csrf, inviteCode: code, name: '陈立', employeeNumber: 'ZTO-9', phone: uniquePhone(), password, passwordConfirm: password,
  });
}

describe('organisation commands', () => {
  it('org:create → outlet:create → invite:create gives a code that joins; invite:revoke stops it', async () => {
    const org = await cli('org:create', '--name', '顺丰速运');
    expect(org.code).toBe(0);
    expect(org.out).toContain('顺丰速运');
    expect((await cli('org:create', '--name', '顺丰速运')).code).toBe(65);

    const outlet = await cli('outlet:create', '--org', '顺丰速运', '--name', '南山科技园营业部', '--province', 'gd', '--city', '深圳');
    expect(outlet.code).toBe(0);
    const outletId = /([0-9a-f-]{36})/.exec(outlet.out)![1]!;
    expect((await cli('outlet:list')).out).toContain(outletId);

    const invite = await cli('invite:create', '--outlet', outletId, '--days', '14', '--uses', '2');
    expect(invite.code).toBe(0);
    const code = /Invite code: (\S+)/.exec(invite.out)![1]!;
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const row = await t.database.db.selectFrom('invites').selectAll().where('outlet_id', '=', outletId).executeTakeFirstOrThrow();
    expect(row.max_uses).toBe(2);
    expect(row.created_by).toBeNull();

    expect((await join(code)).status).toBe(303);
    const revoke = await cli('invite:revoke', '--code', code.toLowerCase());
    expect(revoke.code).toBe(0);
    expect((await join(code)).status).toBe(422);
    expect((await cli('invite:revoke', '--code', code)).err).toContain('already revoked');

    const events = await t.database.db.selectFrom('audit_log').select(['event', 'actor_kind']).execute();
    for (const event of ['org.created', 'outlet.created', 'invite.created', 'invite.revoked']) {
      expect(events.find((e) => e.event === event)?.actor_kind).toBe('cli');
    }
    expect(JSON.stringify(await t.database.db.selectFrom('audit_log').select('details').execute())).not.toContain(code.slice(5, 9));
  });

  it('explains bad arguments with usage errors, not stack traces', async () => {
    expect((await cli('outlet:create', '--org', '没有这家', '--name', 'x', '--province', 'GD', '--city', 'y')).code).toBe(65);
    const badProvince = await cli('outlet:create', '--org', '顺丰速运', '--name', 'x', '--province', 'ZZ', '--city', 'y');
    expect(badProvince.code).toBe(64);
    expect(badProvince.err).toContain('--province');
    expect((await cli('invite:create', '--outlet', 'abc')).code).toBe(64);
    expect((await cli('invite:create', '--outlet', '00000000-0000-4000-8000-000000000000')).code).toBe(65);
    const tooMany = await cli('invite:create', '--outlet', '00000000-0000-4000-8000-000000000000', '--uses', '0');
    expect(tooMany.code).toBe(64);
    expect(tooMany.err).toContain('--uses');
    expect((await cli('invite:revoke', '--code', 'NOPE-NOPE-NOPE')).code).toBe(65);
    expect((await cli('invite:revoke')).code).toBe(64);
  });
});
