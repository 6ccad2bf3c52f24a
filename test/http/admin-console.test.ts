import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff, loginStaff } from '../helpers/staff.js';
import { setTestEscrow } from '../helpers/reports.js';
import { post } from './case-fixtures.js';
import { escrowFingerprint } from '../../server/core/escrow/service.js';
import { generateBoxKeyPair, toBase64 } from '../../server/core/crypto/index.js';
import { decodeEntities } from '../helpers/html.js';

let t: TestApp;
let admin: TestAgent;
let reviewer: TestAgent;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://tips.example.cn' });
  admin = await loginStaff(t, await createStaff(t, { role: 'admin' }));
  reviewer = await loginStaff(t, await createStaff(t, { role: 'reviewer' }));
});
afterAll(async () => {
  await t.close();
});
const db = () => t.database.db;
const events = async (event: string) => db().selectFrom('audit_log').select(['event', 'details']).where('event', '=', event).execute();

describe('admin console', () => {
  it('is for admins only', async () => {
    expect((await reviewer.get('/staff/admin/console')).status).toBe(403);
    expect((await reviewer.get('/staff/admin/posters/public')).status).toBe(403);
  });

  it('shows the escrow fingerprint and date, never the key', async () => {
    expect((await admin.get('/staff/admin/console')).text).toContain('尚未安装托管密钥');
    const pair = await setTestEscrow(t);
    const page = await admin.get('/staff/admin/console');
    expect(page.text).toContain(escrowFingerprint(pair.publicKey));
    expect(page.text).not.toContain(toBase64(pair.publicKey));
    expect(page.text).not.toContain(toBase64(pair.privateKey));
  });

  it('verifies the audit log on demand and shows the last checkpoint, audited', async () => {
    const res = await post(admin, '/staff/admin/console', '/staff/admin/console/audit-verify');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/id="audit-result">审计链完好（\d+ 行）/);
    expect(await events('audit.verified')).toHaveLength(1);
  });

  it('lists receiving bodies with their key fingerprints; adding one is audited, a bad key is refused', async () => {
    const bad = await post(admin, '/staff/admin/console', '/staff/admin/console/authorities', { name: '市国家安全局', publicKey: 'not-a-key' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('这不是有效的公钥');
    const key = generateBoxKeyPair().publicKey;
    const ok = await post(admin, '/staff/admin/console', '/staff/admin/console/authorities', { name: '市国家安全局', publicKey: toBase64(key) });
    expect(ok.status).toBe(201);
    expect(ok.text).toContain(escrowFingerprint(key));
    expect(ok.text).toContain('市国家安全局');
    expect((await events('authority.added'))[0]!.details).toEqual({ fingerprint: escrowFingerprint(key) });
    const twice = await post(admin, '/staff/admin/console', '/staff/admin/console/authorities', { name: '市国家安全局', publicKey: toBase64(key) });
    expect(twice.status).toBe(422);
  });
});

describe('outlets CSV import', () => {
  it('rejects bad rows with a translated message naming the line, and imports nothing', async () => {
    const csv = 'company,outlet,province,city\n顺丰速运,天河营业部,GD,广州\n顺丰速运,福田营业部,XX,深圳\n中通快递,萧山网点\n';
    const res = await post(admin, '/staff/admin/orgs/import', '/staff/admin/orgs/import', { csv });
    expect(res.status).toBe(422);
    const text = decodeEntities(res.text);
    expect(text).toContain('第 3 行：“XX”不是省份代码');
    expect(text).toContain('第 4 行：需要正好四列');
    expect(await db().selectFrom('outlets').select('id').execute()).toHaveLength(0);
    expect(await db().selectFrom('organisations').select('id').execute()).toHaveLength(0);
  });

  it('creates companies and outlets from a good file, each audited', async () => {
    const csv = '\uFEFFcompany,outlet,province,city\r\n顺丰速运,天河营业部,GD,广州\r\n顺丰速运,"福田营业部",gd,深圳\r\n中通快递,萧山网点,ZJ,杭州\r\n';
    const res = await post(admin, '/staff/admin/orgs/import', '/staff/admin/orgs/import', { csv });
    expect(res.status).toBe(201);
    expect(res.text).toContain('已导入 3 个网点（新建 2 家公司）');
    const outlets = await db().selectFrom('outlets').select(['name', 'province']).orderBy('name').execute();
    expect(outlets.map((o) => o.name).sort()).toEqual(['天河营业部', '福田营业部', '萧山网点'].sort());
    expect(outlets.every((o) => ['GD', 'ZJ'].includes(o.province))).toBe(true);
    const again = await post(admin, '/staff/admin/orgs/import', '/staff/admin/orgs/import', { csv: '顺丰速运,天河营业部,GD,广州' });
    expect(again.status).toBe(422);
    expect(again.text).toContain('第 1 行：该公司已有同名网点');
  });
});

describe('outlets CSV import in one transaction', () => {
  it('a failure on a later row keeps nothing of the earlier ones, and says why', async () => {
    // The database refuses the third outlet as a unique index would when someone made it meanwhile.
    await sql`create function refuse_outlet() returns trigger language plpgsql as $$
      begin
        if new.name = '同时新建网点' then raise exception 'duplicate' using errcode = '23505'; end if;
        return new;
      end $$`.execute(db());
    await sql`create trigger refuse_outlet before insert on outlets for each row execute function refuse_outlet()`.execute(db());
    try {
      const before = { outlets: (await db().selectFrom('outlets').select('id').execute()).length, orgs: (await db().selectFrom('organisations').select('id').execute()).length, created: (await events('outlet.created')).length };
      const csv = '韵达快递,余杭网点,ZJ,杭州\n韵达快递,西湖网点,ZJ,杭州\n韵达快递,同时新建网点,ZJ,杭州\n';
      const res = await post(admin, '/staff/admin/orgs/import', '/staff/admin/orgs/import', { csv });
      expect(res.status).toBe(422);
      expect(decodeEntities(res.text)).toContain('本次没有导入任何数据');
      expect(res.text).toContain('余杭网点'); // the text is kept in the form
      expect((await db().selectFrom('outlets').select('id').execute()).length).toBe(before.outlets);
      expect((await db().selectFrom('organisations').select('id').execute()).length).toBe(before.orgs);
      expect((await events('outlet.created')).length).toBe(before.created);
    } finally {
      await sql`drop trigger refuse_outlet on outlets`.execute(db());
      await sql`drop function refuse_outlet()`.execute(db());
    }
  });
});

describe('posters', () => {
  it('the public poster is zh-CN with a QR code drawn on the server as inline SVG for PUBLIC_URL', async () => {
    const res = await admin.get('/staff/admin/posters/public');
    expect(res.status).toBe(200);
    expect(res.text).toContain('扫码举报可疑包裹');
    expect(res.text).toMatch(/<div class="poster-qr"[^>]*><svg [^>]*viewBox/);
    expect(res.text).toContain('https://tips.example.cn/');
    expect(res.text).not.toMatch(/<script/);
  });

  it("a staff-room poster carries a fresh invite code of the outlet and a QR code to the join page", async () => {
    const outlet = await db().selectFrom('outlets').select('id').where('name', '=', '萧山网点').executeTakeFirstOrThrow();
    const before = (await db().selectFrom('invites').select('id').execute()).length;
    const res = await post(admin, `/staff/admin/orgs/outlets/${outlet.id}`, `/staff/admin/orgs/outlets/${outlet.id}/poster`);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<svg [^>]*viewBox/);
    expect(res.text).toContain('https://tips.example.cn/employee/join');
    expect(res.text).toMatch(/class="invite-code">[0-9A-Z-]{8,}</);
    expect(res.text).toContain('萧山网点');
    expect((await db().selectFrom('invites').select('id').execute()).length).toBe(before + 1);
  });
});
