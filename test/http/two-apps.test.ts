import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { freePort } from '../helpers/ports.js';

/**
 * The public site and the staff workspace are two apps: no staff page is served by the public one,
 * no public page by the staff one; both answer /healthz and serve the static files.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const STAFF_PAGES = ['/staff', '/staff/login', '/staff/recover', '/staff/admin/staff', '/staff/identity-requests', '/staff/enrol/abc', '/staff/lang/en'];
const PUBLIC_PAGES = ['/', '/report', '/report/thanks', '/followup', '/guide', '/employee/login', '/employee/join', '/lang/en'];

describe('two apps on one core', () => {
  it.each(STAFF_PAGES)('the public app answers 404 for %s', async (page) => {
    const res = await request(t.publicApp).get(page);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('name="password"');
  });

  it('the public app refuses staff sign-in posts as a 404 or 403, never reaching a staff handler', async () => {
    const res = await request(t.publicApp).post('/staff/login').type('form').send({ username: 'x', password: 'y', code: '123456' });
    expect([403, 404]).toContain(res.status);
    expect(await t.database.db.selectFrom('audit_log').select('seq').where('event', 'like', 'staff.%').execute()).toEqual([]);
  });

  it.each(PUBLIC_PAGES)('the staff app answers 404 for %s', async (page) => {
    const res = await request(t.staffApp).get(page);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('name="description"');
  });

  it('each app serves its own pages, /healthz and the static files', async () => {
    expect((await request(t.publicApp).get('/report')).status).toBe(200);
    expect((await request(t.staffApp).get('/staff/login')).status).toBe(200);
    for (const app of [t.publicApp, t.staffApp]) {
      expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
      expect((await request(app).get('/static/css/app.css')).status).toBe(200);
    }
  });

  it('the staff language switch stays under /staff and sets the language', async () => {
    const res = await request(t.staffApp).get('/staff/lang/en?next=/staff/login');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/staff/login');
    const page = await request(t.staffApp).get('/staff/login').set('Cookie', 'pg_lang=en');
    expect(page.text).toContain('href="/staff/lang/zh-CN?next=');
    const publicPage = await request(t.publicApp).get('/report').set('Cookie', 'pg_lang=en');
    expect(publicPage.text).toContain('href="/lang/zh-CN?next=');
  });

  it('the two apps use different CSRF cookies, so one app’s token is useless on the other', async () => {
    const staffPage = await request(t.staffApp).get('/staff/login');
    const publicPage = await request(t.publicApp).get('/report');
    const names = (res: request.Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []).map((c) => c.split('=')[0]);
    expect(names(staffPage)).toContain('pg_staff_csrf');
    expect(names(publicPage)).toContain('pg_csrf');
    expect(names(publicPage)).not.toContain('pg_staff_csrf');
  });
});

describe('npm start', () => {
  it('serves the public app on PORT and the staff app on STAFF_PORT, both on loopback by default', async () => {
    const [port, staffPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? tmpdir(),
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parcelguard-listeners-')),
        PORT: String(port),
        STAFF_PORT: String(staffPort),
        ARGON2_MEMORY_KIB: '1024',
        ARGON2_ITERATIONS: '1',
      },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!/"app":"staff"/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const lines = out.split('\n').filter((l) => l.includes('app listening')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toEqual([
        expect.objectContaining({ app: 'public', host: '127.0.0.1', port, url: `http://127.0.0.1:${port}` }),
        expect.objectContaining({ app: 'staff', host: '127.0.0.1', port: staffPort, url: `http://127.0.0.1:${staffPort}` }),
      ]);
      const get = (p: number, page: string) => fetch(`http://127.0.0.1:${p}${page}`, { redirect: 'manual' });
      expect((await get(port, '/report')).status).toBe(200);
      expect((await get(port, '/staff/login')).status).toBe(404);
      expect((await get(staffPort, '/staff/login')).status).toBe(200);
      expect((await get(staffPort, '/report')).status).toBe(404);
      expect((await get(port, '/healthz')).status).toBe(200);
      expect((await get(staffPort, '/healthz')).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
