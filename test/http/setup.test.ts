import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff, loginStaff, postForm } from '../helpers/staff.js';
import { spawnServer } from '../faults/support/server-process.js';
import { issueSetupUrl } from '../../server/core/setup/service.js';
import { escrowStatus, parseEscrowKeyFile } from '../../server/core/escrow/service.js';
import { readSettings } from '../../server/core/settings/service.js';
import { decodeEntities } from '../helpers/html.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});
const db = () => t.database.db;

describe('first start', () => {
  it('a server with no staff logs one line with the one-time setup URL on the staff listener, and its page has a form', async () => {
    const server = await spawnServer({ DATABASE_URL: '' });
    try {
      const lines = server.output().toString().split('\n').filter((l) => l.includes('/staff/setup/'));
      expect(lines).toHaveLength(1);
      const url = /http:\/\/127\.0\.0\.1:\d+\/staff\/setup\/[A-Za-z0-9_-]+/.exec(lines[0]!)![0];
      expect(url.startsWith(server.staffBaseUrl)).toBe(true);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toMatch(/<form method="post" action="\/staff\/setup\/[A-Za-z0-9_-]+"/);
      expect(html).toContain('name="adminUsername"');
      expect(html).toContain('name="custodianUsername"');
      // The token is only as its hash in the database: a wrong token is refused.
      expect((await fetch(`${server.staffBaseUrl}/staff/setup/${'A'.repeat(43)}`)).status).toBe(410);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe('setup pages', () => {
  let path = '';
  let escrowToken = '';
  it('creates the organisation settings, the first admin and the first custodian, once', async () => {
    const url = (await issueSetupUrl(t.ctx))!;
    expect(url).toMatch(new RegExp(`^${t.config.staff.url.origin}/staff/setup/[A-Za-z0-9_-]{20,}$`));
    path = new URL(url).pathname;
    const bad = await postForm(t.staffApp, path, path, { organisationName: '', defaultLocale: 'zh-CN', adminUsername: 'same', custodianUsername: 'same', escrow: 'server' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('请填写单位名称');
    expect(bad.text).toContain('保管人需要使用自己的独立账号');

    const done = await postForm(t.staffApp, path, path, { organisationName: '华南寄递安全中心', defaultLocale: 'en', adminUsername: 'first-admin', custodianUsername: 'first-custodian', escrow: 'server' });
    expect(done.status).toBe(200);
    const links = [...done.text.matchAll(/value="(http:\/\/[^"]+\/staff\/enrol\/[^"]+)"/g)];
    expect(links).toHaveLength(2);
    const staff = await db().selectFrom('staff').select(['username', 'role', 'is_custodian', 'status']).orderBy('username').execute();
    expect(staff).toEqual([
      { username: 'first-admin', role: 'admin', is_custodian: false, status: 'pending' },
      { username: 'first-custodian', role: 'reviewer', is_custodian: true, status: 'pending' },
    ]);
    const settings = await readSettings(t.ctx, db(), { fresh: true });
    expect(settings['organisation.name']).toBe('华南寄递安全中心');
    expect(settings['organisation.defaultLocale']).toBe('en');
    expect(await db().selectFrom('audit_log').select('event').where('event', '=', 'settings.changed').execute()).toHaveLength(1);
    // The organisation's name is on every page from now on.
    await readSettings(t.ctx, db(), { fresh: true });
    expect((await request(t.staffApp).get('/staff/login')).text).toContain('<span class="brand-org">华南寄递安全中心</span>');
    expect((await request(t.publicApp).get('/')).text).toContain('<span class="brand-org">华南寄递安全中心</span>');
    escrowToken = decodeEntities(/name="token" value="([^"]+)"/.exec(done.text)![1]!);

    // Single use: the page and the form are gone.
    expect((await request(t.staffApp).get(path)).status).toBe(410);
    const again = await postForm(t.staffApp, '/staff/login', path, { organisationName: 'x', defaultLocale: 'zh-CN', adminUsername: 'evil', custodianUsername: 'evil2', escrow: 'offline' });
    expect(again.status).toBe(410);
    expect(await db().selectFrom('staff').select('id').execute()).toHaveLength(2);
    // A restart with staff issues no new setup URL.
    expect(await issueSetupUrl(t.ctx)).toBeNull();
  });

  it('generates the escrow key on the server and offers the private key once, after the public key committed', async () => {
    expect(await escrowStatus(db())).toBeNull();
    const res = await postForm(t.staffApp, '/staff/login', '/staff/setup/escrow/download', { token: escrowToken });
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toContain('attachment');
    expect(res.headers['cache-control']).toContain('no-store');
    const privateKey = parseEscrowKeyFile(res.text);
    expect(privateKey).toHaveLength(32);
    const status = await escrowStatus(db());
    expect(res.text).toContain(`# fingerprint: ${status!.fingerprint}`);
    const again = await postForm(t.staffApp, '/staff/login', '/staff/setup/escrow/download', { token: escrowToken });
    expect(again.status).toBe(410);
    expect(again.text).not.toContain('private-key');
  });

  it('shows the readiness checklist on the admin home until it is complete', async () => {
    const admin = await createStaff(t, { role: 'admin' });
    const agent = await loginStaff(t, admin);
    const home = await agent.get('/staff/admin/staff');
    expect(home.status).toBe(200);
    expect(home.text).toContain('id="readiness-title"');
    expect(home.text).toMatch(/class="readiness-done" data-item="escrow"/);
    expect(home.text).toMatch(/class="readiness-todo" data-item="custodians"/);
    expect(home.text).toMatch(/class="readiness-todo" data-item="backups"/);
  });
});
