import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { createStaff, staffSession } from '../helpers/staff.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** Runs one command line against the test database, capturing what it prints. */
const cli = (...argv: string[]) => runCli(t, ...argv);

const urlIn = (text: string) => /(http:\/\/\S+\/staff\/enrol\/[A-Za-z0-9_-]+)/.exec(text)![1]!;

describe('npm run cli -- staff:create', () => {
  it('creates a pending account and prints a one-time enrolment URL that works', async () => {
    const res = await cli('staff:create', '--role', 'reviewer', '--username', 'qian.wei', '--custodian');
    expect(res.code).toBe(0);
    expect(res.out).toContain('Created reviewer (custodian) "qian.wei"');
    const url = urlIn(res.out);
    expect(url.startsWith(`${t.config.staff.url.origin}/staff/enrol/`)).toBe(true);
    const page = await request(t.staffApp).get(new URL(url).pathname);
    expect(page.status).toBe(200);
    expect(page.text).toContain('qian.wei');
    const row = await t.ctx.database.db.selectFrom('staff').selectAll().where('username', '=', 'qian.wei').executeTakeFirstOrThrow();
    // The operator at the server approves the key in advance: no custodian needs to.
    expect(row).toMatchObject({ role: 'reviewer', is_custodian: true, status: 'pending', key_approval: 'cli' });
    expect(JSON.stringify(row)).not.toContain(new URL(url).pathname.split('/').pop()); // only the hash is stored
    const audit = await t.ctx.database.db.selectFrom('audit_log').selectAll().where('subject_id', '=', row.id).execute();
    expect(audit.map((a) => [a.event, a.actor_kind, a.actor_id])).toEqual([
      ['staff.created', 'cli', null],
      ['keyholder.approved', 'cli', null],
    ]);
  });

  it('creates admins, and points the link at STAFF_URL (never at the public site)', async () => {
    const res = await cli('staff:create', '--role', 'admin', '--username', 'ops.admin');
    expect(res.code).toBe(0);
    expect(res.out).toContain('Created admin "ops.admin"');
    const https = await createTestApp({ PUBLIC_URL: 'https://tips.example.cn', STAFF_URL: 'https://staff.tips.internal' });
    try {
      const remote = await runCli(https, 'staff:create', '--role', 'reviewer', '--username', 'remote.one');
      expect(remote.code).toBe(0);
      expect(remote.out).toMatch(/https:\/\/staff\.tips\.internal\/staff\/enrol\/[A-Za-z0-9_-]{43}/);
      expect(remote.out).not.toContain('tips.example.cn');
    } finally {
      await https.close();
    }
  });

  it('refuses bad arguments with a usage error and a duplicate name with a data error', async () => {
    expect((await cli('staff:create', '--username', 'no.role')).code).toBe(64);
    expect((await cli('staff:create', '--role', 'boss', '--username', 'x.y.z')).code).toBe(64);
    const custodianAdmin = await cli('staff:create', '--role', 'admin', '--username', 'c.admin', '--custodian');
    expect(custodianAdmin.code).toBe(64);
    expect(custodianAdmin.err).toContain('Only reviewers can be identity custodians');
    const unknown = await cli('staff:create', '--role', 'reviewer', '--username', 'abc', '--sudo');
    expect(unknown.code).toBe(64);
    expect(unknown.err).toContain('usage: npm run cli -- staff:create');
    expect((await cli('staff:create', '--role', 'reviewer', '--username', 'bad name')).code).toBe(64);
    await cli('staff:create', '--role', 'reviewer', '--username', 'dup.name');
    const dup = await cli('staff:create', '--role', 'reviewer', '--username', 'DUP.NAME');
    expect(dup.code).toBe(65);
    expect(dup.err).toContain('already exists');
    expect((await cli('no:such')).code).toBe(64);
  });
});

describe('npm run cli -- staff:deactivate / staff:enrol-link / staff:list', () => {
  it('deactivates an account and ends its sessions, audited as the command line', async () => {
    const staff = await createStaff(t);
    const cookie = await staffSession(t, staff);
    expect((await request(t.staffApp).get('/staff/account/password').set('Cookie', `pg_staff=${cookie}`)).status).toBe(200);
    const res = await cli('staff:deactivate', '--username', staff.username);
    expect(res.code).toBe(0);
    expect(res.out).toContain('all of its sessions have ended');
    expect((await request(t.staffApp).get('/staff/account/password').set('Cookie', `pg_staff=${cookie}`)).status).toBe(303);
    const row = await t.ctx.database.db.selectFrom('staff').select(['status', 'deactivated_at']).where('id', '=', staff.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('deactivated');
    expect(row.deactivated_at).not.toBeNull();
    const audit = await t.ctx.database.db.selectFrom('audit_log').selectAll().where('event', '=', 'staff.deactivated').where('subject_id', '=', staff.id).executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_kind: 'cli', actor_id: null, details: { previousStatus: 'active', sessionsEnded: 1 } });

    expect((await cli('staff:deactivate', '--username', staff.username)).out).toContain('already deactivated');
    expect((await cli('staff:deactivate', '--username', 'nobody.here')).code).toBe(65);
    expect((await cli('staff:deactivate')).code).toBe(64);
  });

  it('can deactivate even the last admin (the operator can create another at once)', async () => {
    const lone = await createStaff(t, { role: 'admin' });
    await t.ctx.database.db.updateTable('staff').set({ status: 'deactivated' }).where('role', '=', 'admin').where('id', '!=', lone.id).execute();
    expect((await cli('staff:deactivate', '--username', lone.username)).code).toBe(0);
  });

  it('issues a new link for a pending account only, and lists accounts', async () => {
    const created = await cli('staff:create', '--role', 'reviewer', '--username', 'late.joiner');
    const first = urlIn(created.out);
    const reissued = await cli('staff:enrol-link', '--username', 'late.joiner');
    expect(reissued.code).toBe(0);
    const second = urlIn(reissued.out);
    expect(second).not.toBe(first);
    expect((await request(t.staffApp).get(new URL(first).pathname)).status).toBe(404);
    expect((await request(t.staffApp).get(new URL(second).pathname)).status).toBe(200);
    const active = await createStaff(t);
    expect((await cli('staff:enrol-link', '--username', active.username)).code).toBe(65);

    const list = await cli('staff:list');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/late\.joiner\s+reviewer\s+no\s+pending/);
    expect(list.out).toMatch(new RegExp(`${active.username.replace(/\./g, '\\.')}\\s+reviewer\\s+no\\s+active`));
  });
});

describe('the cli entry point', () => {
  it('prints usage for --help and refuses unknown commands, as a real process', async () => {
    const run = promisify(execFile);
    const help = await run('npx', ['tsx', 'server/cli/index.ts', '--help'], { cwd: process.cwd() });
    expect(help.stdout).toContain('usage: npm run cli -- <command>');
    for (const name of ['staff:create', 'staff:deactivate', 'escrow:init', 'escrow:open', 'audit:verify']) expect(help.stdout).toContain(name);
    const unknown = await run('npx', ['tsx', 'server/cli/index.ts', 'frobnicate'], { cwd: process.cwd() }).catch((e: { code: number; stderr: string }) => e);
    expect(unknown).toMatchObject({ code: 64 });
    expect((unknown as { stderr: string }).stderr).toContain('unknown command: frobnicate');
  });
});
