import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { caseAction, fileReport, signedIn, type Actor } from './case-fixtures.js';

let t: TestApp;
let reviewer: Actor;
let admin: Actor;
const db = () => t.database.db;

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t);
  admin = await signedIn(t, { role: 'admin' });
});
afterAll(async () => {
  await t.close();
});

describe('the queue at /staff', () => {
  it('is where staff land after signing in, and lists cases with counts per status', async () => {
    const a = await fileReport(t, { categories: ['explosives'], immediateDanger: true, province: 'SH' });
    const b = await fileReport(t, { categories: ['drugs'], province: 'GD' });
    await caseAction(reviewer.agent, b.caseNumber, 'acknowledge');
    const page = await reviewer.agent.get('/staff');
    expect(page.status).toBe(200);
    expect(page.text).toContain('线索队列');
    expect(page.text).toContain(a.caseNumber);
    expect(page.text).toContain(b.caseNumber);
    expect(page.text).toContain('爆炸物品');
    expect(page.text).toContain('上海市');
    expect(page.text).toContain('现实危险');
    expect(page.text).toMatch(/新线索 <span class="count">\d+<\/span>/);
    expect(page.text).toMatch(/已确认收到 <span class="count">1<\/span>/);
    expect(page.text).not.toMatch(/\sstyle="|<script/i);
    expect(page.text).not.toMatch(/review\.|taxonomy\.|intake\./);
  });

  it('shows SLA badges from the deadline engine: a critical case must be triaged within the hour', async () => {
    const critical = await fileReport(t, { immediateDanger: true, categories: ['firearms'] });
    const clock = (createdMinAgo: number, dueInMin: number) =>
      db().updateTable('reports').set({ created_at: new Date(Date.now() - createdMinAgo * 60_000), triage_due_at: new Date(Date.now() + dueInMin * 60_000) }).where('id', '=', critical.reportId).execute();
    const page = await reviewer.agent.get(`/staff?severity=critical&sort=due`);
    expect(page.text).toContain(critical.caseNumber);
    expect(page.text).toContain('待研判');
    await clock(50, 10);
    expect((await reviewer.agent.get(`/staff?severity=critical&sort=due`)).text).toContain('须尽快研判');
    await clock(61, -1);
    const overdue = await reviewer.agent.get('/staff?due=overdue');
    expect(overdue.text).toContain(critical.caseNumber);
    expect(overdue.text).toContain('研判已超时');
    await clock(130, -70);
    expect((await reviewer.agent.get('/staff?due=overdue')).text).toContain('研判严重超时');
  });

  it('shows the first-feedback and referral-decision clocks once a case is acknowledged', async () => {
    const r = await fileReport(t, { categories: ['drugs'] });
    await caseAction(reviewer.agent, r.caseNumber, 'acknowledge');
    const row = () => reviewer.agent.get('/staff?status=acknowledged&sort=due').then((p) => p.text.slice(p.text.indexOf(r.caseNumber)).split('</tr>')[0]!);
    expect(await row()).toContain('首次答复举报人');
    await db().updateTable('reports').set({ acknowledged_at: new Date(Date.now() - 8 * 24 * 3600_000) }).where('id', '=', r.reportId).execute();
    expect(await row()).toContain('首次答复举报人已超时');
    await db().updateTable('reports').set({ referral_pending_since: new Date(Date.now() - 47 * 3600_000), acknowledged_at: new Date() }).where('id', '=', r.reportId).execute();
    expect(await row()).toContain('须尽快决定移交');
  });

  it('filters and keeps the chosen filters in the form', async () => {
    const spy = await fileReport(t, { categories: ['spy_equipment'], province: 'JL' });
    const other = await fileReport(t, { categories: ['tobacco'], province: 'JL' });
    const page = await reviewer.agent.get('/staff?category=spy_equipment&province=JL&status=open&sort=oldest');
    expect(page.text).toContain(spy.caseNumber);
    expect(page.text).not.toContain(other.caseNumber);
    expect(page.text).toMatch(/value="spy_equipment" checked/);
    expect(page.text).toMatch(/<option value="JL" selected>/);
    expect(page.text).toMatch(/<option value="oldest" selected>/);

    await caseAction(reviewer.agent, other.caseNumber, 'assign', { assignee: reviewer.staff.id });
    const mine = await reviewer.agent.get('/staff?assignee=me');
    expect(mine.text).toContain(other.caseNumber);
    expect(mine.text).not.toContain(spy.caseNumber);
    expect(mine.text).toMatch(/分配给我的 <span class="count">1<\/span>/);
  });

  it('re-renders a bad filter with a translated message and what was typed, never a 5xx', async () => {
    const res = await reviewer.agent.get('/staff?from=2026-02-30&to=2026-01-01&category=nonsense&province=zz&status=<x>');
    expect(res.status).toBe(400);
    expect(res.text).toContain('请输入有效日期');
    expect(res.text).toContain('value="2026-02-30"');
    expect(res.text).not.toContain('<x>');
    for (const q of ['after=%00%ff', 'sort[]=x', 'assignee=robert%27);drop', 'linked=1&linked=0', `category=${'a'.repeat(5000)}`]) {
      const r = await reviewer.agent.get(`/staff?${q}`);
      expect(r.status).toBeLessThan(500);
    }
    const order = await reviewer.agent.get('/staff?from=2026-03-01&to=2026-02-01');
    expect(order.status).toBe(400);
    expect(order.text).toContain('截止日期不能早于起始日期');
  });

  it('pages with an opaque cursor of plaintext metadata only', async () => {
    for (let i = 0; i < 52; i++) await db().insertInto('reports').values({
      id: crypto.randomUUID(), case_number: `PG-PAGE-${String(i).padStart(4, '0')}`, channel: 'public', categories: ['other'],
      payload_sealed: new Uint8Array(41), reporter_public_key: new Uint8Array(32), triage_due_at: new Date(Date.now() + 86_400_000), feedback_due_at: new Date(Date.now() + 30 * 86_400_000),
    }).execute().then(async () => {
      const row = await db().selectFrom('reports').select('id').where('case_number', '=', `PG-PAGE-${String(i).padStart(4, '0')}`).executeTakeFirstOrThrow();
      await db().insertInto('report_key_grants').values({ report_id: row.id, key_kind: 'report', recipient_kind: 'staff', recipient_id: reviewer.staff.id, sealed_key: new Uint8Array(80) }).execute();
    });
    const first = await reviewer.agent.get('/staff?status=all');
    const next = /href="(\/staff\?[^"]*after=([A-Za-z0-9_-]+)[^"]*)" rel="next"/.exec(first.text.replaceAll('&amp;', '&').replaceAll('&#x3D;', '='));
    expect(next).not.toBeNull();
    const decoded = Buffer.from(next![2]!, 'base64url').toString();
    expect(JSON.parse(decoded)).toEqual(['newest', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    const second = await reviewer.agent.get(next![1]!);
    expect(second.status).toBe(200);
    expect(second.text).toContain('回到第一页');
    const firstCases = [...first.text.matchAll(/href="\/staff\/cases\/([^"]+)"/g)].map((m) => m[1]);
    const secondCases = [...second.text.matchAll(/href="\/staff\/cases\/([^"]+)"/g)].map((m) => m[1]);
    expect(firstCases).toHaveLength(50);
    expect(secondCases.length).toBeGreaterThan(0);
    expect(secondCases.filter((n) => firstCases.includes(n))).toEqual([]);
  });

  it('is empty for administrators, with the reason', async () => {
    const page = await admin.agent.get('/staff?status=all');
    expect(page.status).toBe(200);
    expect(page.text).toContain('管理员不持有举报密钥');
    expect(page.text).not.toMatch(/href="\/staff\/cases\//);
  });
});
