import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { loginStaff } from '../helpers/staff.js';
import { createTestReviewer } from '../helpers/reports.js';
import { demoAccountLine, NotADemoDatabaseError, seedDemo, type DemoResult } from '../../server/core/demo/seed.js';
import { QUEUE_PAGE_SIZE } from '../../server/core/queue/service.js';

/** `npm run demo`'s seeding, on a test database with fewer tips: real services, real sealing. */

let t: TestApp;
let result: DemoResult;
const TIPS = 64;
beforeAll(async () => {
  t = await createTestApp({ DEMO: '1' });
  result = await seedDemo(t.ctx, { tips: TIPS, employeesPerOutlet: 1, photoEvery: 16 });
}, 600_000);
afterAll(async () => {
  await t.close();
});

const db = () => t.database.db;

describe('demo seeding', () => {
  it('prints one sign-in line per demo account with a base32 TOTP secret', () => {
    const roles = result.accounts.map((a) => a.role);
    expect(roles).toEqual(expect.arrayContaining(['admin', 'reviewer', 'custodian']));
    for (const a of result.accounts) expect(demoAccountLine(a)).toMatch(/^demo (admin|reviewer|custodian): username=\S+ password=\S+ totp=[A-Z2-7]{16,}$/);
  });

  it('files sealed tips across channels, categories, provinces and states, with photos, messages, notes, identity requests and referrals', async () => {
    const reports = await db().selectFrom('reports').select(['channel', 'status', 'province', 'categories', 'payload_sealed']).execute();
    expect(reports).toHaveLength(TIPS);
    expect(new Set(reports.map((r) => r.channel))).toEqual(new Set(['public', 'employee']));
    expect(new Set(reports.map((r) => r.status)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(reports.map((r) => r.province)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(reports.flatMap((r) => r.categories)).size).toBeGreaterThanOrEqual(8);
    // Sealed: no description in clear in the payload column.
    expect(Buffer.from(reports[0]!.payload_sealed).toString('utf8')).not.toContain('演示数据');
    const count = async (table: 'attachments' | 'notes' | 'identity_requests' | 'referrals' | 'organisations' | 'outlets' | 'employees') =>
      Number((await db().selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    expect(await count('attachments')).toBeGreaterThanOrEqual(TIPS / 16);
    expect(await count('notes')).toBeGreaterThan(0);
    expect(await count('identity_requests')).toBeGreaterThan(0);
    expect(await count('referrals')).toBeGreaterThan(0);
    expect(await count('organisations')).toBe(2);
    expect(await count('outlets')).toBeGreaterThanOrEqual(4);
    expect(await count('employees')).toBeGreaterThanOrEqual(4);
  });

  it("the demo reviewer signs in with the printed line and sees a full first page of cases, under the demo banner", async () => {
    const account = result.accounts.find((a) => a.role === 'reviewer')!;
    const row = await db().selectFrom('staff').select('id').where('username', '=', account.username).executeTakeFirstOrThrow();
    const agent = await loginStaff(t, { id: row.id, username: account.username, password: account.password, totpSecret: account.totp, publicKey: new Uint8Array(), recoveryKey: '' });
    const queue = await agent.get('/staff');
    expect(queue.status).toBe(200);
    const cases = new Set([...queue.text.matchAll(/href="\/staff\/cases\/([^"]+)"/g)].map((m) => m[1]));
    expect(cases.size).toBe(QUEUE_PAGE_SIZE);
    expect(queue.text).toContain('class="demo-banner"');
    const landing = await request(t.publicApp).get('/');
    expect(landing.text).toContain('class="demo-banner"');
  });

  it('does nothing the second time, and refuses a database with real data', async () => {
    const again = await seedDemo(t.ctx, { tips: 5 });
    expect(again.alreadySeeded).toBe(true);
    expect(again.accounts.map((a) => a.username)).toEqual(result.accounts.map((a) => a.username));
    expect(await db().selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: TIPS });

    const real = await createTestApp();
    try {
      await createTestReviewer(real);
      await expect(seedDemo(real.ctx, { tips: 5 })).rejects.toBeInstanceOf(NotADemoDatabaseError);
      expect(await real.database.db.selectFrom('reports').select('id').execute()).toHaveLength(0);
      const banner = await request(real.publicApp).get('/');
      expect(banner.text).not.toContain('demo-banner');
    } finally {
      await real.close();
    }
  });
});
