import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { queuePage, statusCounts, countOpenAssigned, compactQueueCounts, rebuildQueueCounts, type QueueFilter, type QueueSortKey } from '../../server/core/queue/repository.js';
import { decodeCursor, encodeCursor, loadQueue } from '../../server/core/queue/service.js';
import { queueQuerySchema } from '../../server/core/queue/schema.js';
import type { ReportStatus, Severity } from '../../server/core/reports/lifecycle.js';

// The queue reads plaintext metadata only, so these tests build rows directly: the sealed
// columns hold dummy bytes that nothing here ever opens.

let database: TestDatabase;
const db = () => database.db;
const reviewerA = randomUUID();
const reviewerB = randomUUID();
let counter = 0;

async function insertStaff(id: string, username: string) {
  await db().insertInto('staff').values({ id, username, role: 'reviewer', status: 'active', public_key: new Uint8Array(32) }).execute();
}

type ReportOverrides = Partial<{
  status: ReportStatus; severity: Severity; categories: string[]; province: string | null; channel: 'public' | 'employee';
  assignee_id: string | null; link_count: number; created_at: Date; triage_due_at: Date; feedback_due_at: Date;
}>;

async function insertReport(holders: string[], o: ReportOverrides = {}): Promise<string> {
  const id = randomUUID();
  const n = counter++;
  const createdAt = o.created_at ?? new Date(Date.UTC(2026, 0, 1) + n * 60_000);
  await db()
    .insertInto('reports')
    .values({
      id,
      case_number: `T-${String(n).padStart(6, '0')}`,
      channel: o.channel ?? 'public',
      status: o.status ?? 'new',
      severity: o.severity ?? 'normal',
      categories: o.categories ?? ['other'],
      province: o.province ?? null,
      assignee_id: o.assignee_id ?? null,
      link_count: o.link_count ?? 0,
      payload_sealed: new Uint8Array(48),
      reporter_public_key: new Uint8Array(32),
      created_at: createdAt,
      triage_due_at: o.triage_due_at ?? new Date(createdAt.getTime() + 24 * 3600_000),
      feedback_due_at: o.feedback_due_at ?? new Date(createdAt.getTime() + 30 * 86400_000),
    })
    .execute();
  if (holders.length > 0) {
    await db()
      .insertInto('report_key_grants')
      .values(holders.map((h) => ({ report_id: id, key_kind: 'report' as const, recipient_kind: 'staff' as const, recipient_id: h, sealed_key: new Uint8Array(80) })))
      .execute();
  }
  return id;
}

const everything: QueueFilter = { status: 'all', categories: [], linked: false };

async function ids(filter: Partial<QueueFilter>, staff = reviewerA, now = new Date('2026-06-01T00:00:00Z')) {
  const rows = await queuePage(db(), staff, { ...everything, ...filter }, 'newest', null, 1000, now);
  return rows.map((r) => r.id);
}

beforeAll(async () => {
  database = await createTestDatabase();
  await insertStaff(reviewerA, 'alice');
  await insertStaff(reviewerB, 'bob');
});
afterAll(async () => {
  await database.drop();
});

describe('queue visibility', () => {
  it('lists only reports the viewer holds a report grant for', async () => {
    const mine = await insertReport([reviewerA]);
    const theirs = await insertReport([reviewerB]);
    const shared = await insertReport([reviewerA, reviewerB]);
    const aSees = await ids({});
    expect(aSees).toContain(mine);
    expect(aSees).toContain(shared);
    expect(aSees).not.toContain(theirs);
    // A notes-key grant alone does not put a report in the queue.
    await db().insertInto('report_key_grants').values({ report_id: theirs, key_kind: 'notes', recipient_kind: 'staff', recipient_id: reviewerA, sealed_key: new Uint8Array(80) }).execute();
    expect(await ids({})).not.toContain(theirs);
  });
});

describe('status counts kept by triggers', () => {
  it('follow grants, status changes, revocations and deletions', async () => {
    const staff = randomUUID();
    await insertStaff(staff, `counter-${staff.slice(0, 6)}`);
    const one = await insertReport([staff]);
    const two = await insertReport([staff]);
    await insertReport([reviewerA]);
    expect(await statusCounts(db(), staff)).toEqual({ new: 2 });

    await db().updateTable('reports').set({ status: 'in_review' }).where('id', '=', one).execute();
    expect(await statusCounts(db(), staff)).toMatchObject({ new: 1, in_review: 1 });

    // An update that does not change the status leaves the counts alone.
    await db().updateTable('reports').set({ labels: ['x'] }).where('id', '=', one).execute();
    expect(await statusCounts(db(), staff)).toMatchObject({ new: 1, in_review: 1 });

    await db().deleteFrom('report_key_grants').where('report_id', '=', two).where('recipient_id', '=', staff).execute();
    expect(await statusCounts(db(), staff)).toMatchObject({ new: 0, in_review: 1 });

    await db().deleteFrom('reports').where('id', '=', one).execute();
    expect(await statusCounts(db(), staff)).toMatchObject({ new: 0, in_review: 0 });
  });

  it('match a live count after a bulk insert and a bulk status change', async () => {
    const staff = randomUUID();
    await insertStaff(staff, `bulk-${staff.slice(0, 6)}`);
    const created: string[] = [];
    for (let i = 0; i < 12; i++) created.push(await insertReport([staff, reviewerB], { status: i % 3 === 0 ? 'closed' : 'new' }));
    await db().updateTable('reports').set({ status: 'acknowledged' }).where('id', 'in', created.slice(0, 5)).where('status', '=', 'new').execute();
    const live = await sql<{ status: string; n: number }>`
      select r.status, count(*)::int as n from reports r join report_key_grants g on g.report_id = r.id
      where g.recipient_id = ${staff} and g.key_kind = 'report' group by r.status`.execute(db());
    const counted = await statusCounts(db(), staff);
    for (const row of live.rows) expect(counted[row.status as ReportStatus]).toBe(Number(row.n));
  });

  it('fold their deltas into the totals without changing them, and survive a rebuild', async () => {
    const staff = randomUUID();
    await insertStaff(staff, `fold-${staff.slice(0, 6)}`);
    const created: string[] = [];
    for (let i = 0; i < 30; i++) created.push(await insertReport([staff]));
    for (const id of created) {
      await db().updateTable('reports').set({ status: 'acknowledged' }).where('id', '=', id).execute();
      await db().updateTable('reports').set({ status: 'in_review' }).where('id', '=', id).execute();
      await db().updateTable('reports').set({ status: 'awaiting_reporter' }).where('id', '=', id).execute();
    }
    const pending = async () =>
      Number((await db().selectFrom('staff_queue_count_deltas').select((eb) => eb.fn.countAll<number>().as('n')).where('staff_id', '=', staff).executeTakeFirstOrThrow()).n);
    expect(await pending()).toBeGreaterThan(200);
    const before = await statusCounts(db(), staff); // reads, then folds because more than 200 deltas piled up
    expect(before).toMatchObject({ new: 0, acknowledged: 0, in_review: 0, awaiting_reporter: 30 });
    expect(await pending()).toBe(0);
    expect(await statusCounts(db(), staff)).toMatchObject({ awaiting_reporter: 30 });
    await compactQueueCounts(db(), staff);
    await rebuildQueueCounts(db());
    expect((await statusCounts(db(), staff)).awaiting_reporter).toBe(30);
  });
});

describe('filters', () => {
  it('match status, categories, severity, channel, province, assignee, linked and dates', async () => {
    const staff = randomUUID();
    await insertStaff(staff, `filters-${staff.slice(0, 6)}`);
    const mk = (o: ReportOverrides) => insertReport([staff], o);
    const explosive = await mk({ categories: ['explosives', 'other'], severity: 'critical', province: 'GD' });
    const spy = await mk({ categories: ['spy_equipment'], channel: 'employee', status: 'in_review', assignee_id: staff });
    const closed = await mk({ status: 'closed', link_count: 1, assignee_id: reviewerB, created_at: new Date('2025-03-01T10:00:00Z') });
    const q = (f: Partial<QueueFilter>) => ids(f, staff);

    expect(await q({ status: 'open' })).toEqual(expect.not.arrayContaining([closed]));
    expect(await q({ status: 'in_review' })).toEqual([spy]);
    expect(await q({ categories: ['explosives', 'drugs'] })).toEqual([explosive]);
    expect(await q({ severity: 'critical' })).toEqual([explosive]);
    expect(await q({ channel: 'employee' })).toEqual([spy]);
    expect(await q({ province: 'GD' })).toEqual([explosive]);
    expect(await q({ assignee: 'me' })).toEqual([spy]);
    expect(await q({ assignee: 'others' })).toEqual([closed]);
    expect(await q({ assignee: reviewerB })).toEqual([closed]);
    expect((await q({ assignee: 'unassigned' })).sort()).toEqual([explosive].sort());
    expect(await q({ linked: true })).toEqual([closed]);
    expect(await q({ createdFrom: new Date('2025-01-01T00:00:00Z'), createdBefore: new Date('2025-12-31T00:00:00Z') })).toEqual([closed]);
    expect(await countOpenAssigned(db(), staff, 999)).toBe(1);
  });

  it('counts "my cases" exactly up to the bound, then one past it to say there are more', async () => {
    const staff = randomUUID();
    await insertStaff(staff, `mine-${staff.slice(0, 6)}`);
    for (let i = 0; i < 3; i++) await insertReport([staff], { status: 'in_review', assignee_id: staff });
    await insertReport([staff], { status: 'closed', assignee_id: staff });
    expect(await countOpenAssigned(db(), staff, 5)).toBe(3);
    expect(await countOpenAssigned(db(), staff, 3)).toBe(3);
    expect(await countOpenAssigned(db(), staff, 1)).toBe(2);
  });

  it('finds overdue and due-soon work from the SLA deadlines', async () => {
    const staff = randomUUID();
    await insertStaff(staff, `due-${staff.slice(0, 6)}`);
    const now = new Date('2026-06-01T12:00:00Z');
    const hour = 3600_000;
    const triageLate = await insertReport([staff], { created_at: new Date(now.getTime() - 3 * hour), triage_due_at: new Date(now.getTime() - 2 * hour), severity: 'critical' });
    const feedbackSoon = await insertReport([staff], { status: 'in_review', created_at: new Date(now.getTime() - 40 * 86400_000), feedback_due_at: new Date(now.getTime() + 2 * hour) });
    const closedLate = await insertReport([staff], { status: 'closed', feedback_due_at: new Date(now.getTime() - 50 * hour) });
    // Still new after 7 days although the configured deadline is later: the legal bound makes it overdue.
    const legal = await insertReport([staff], { created_at: new Date(now.getTime() - 8 * 86400_000), triage_due_at: new Date(now.getTime() + 10 * 86400_000) });
    const overdue = await ids({ due: 'overdue', legalAckBound: true }, staff, now);
    expect(overdue.sort()).toEqual([triageLate, legal].sort());
    expect(overdue).not.toContain(closedLate);
    // With the default timers no deadline can pass the 7-day bound, so the plain test is enough.
    expect(await ids({ due: 'overdue' }, staff, now)).toEqual([triageLate]);
    expect(await ids({ due: 'due_soon' }, staff, now)).toEqual([feedbackSoon]);
  });
});

describe('keyset pagination', () => {
  let staff: string;
  let all: string[];
  beforeAll(async () => {
    staff = randomUUID();
    await insertStaff(staff, `pages-${staff.slice(0, 6)}`);
    const sameInstant = new Date('2026-02-02T02:02:02.123456Z');
    const severities: Severity[] = ['critical', 'high', 'normal', 'low'];
    all = [];
    for (let i = 0; i < 23; i++) {
      // Several rows share a timestamp (down to the microsecond) to exercise the id tie-breaker.
      const createdAt = i % 4 === 0 ? sameInstant : new Date(Date.UTC(2026, 1, 3) + i * 1000);
      all.push(await insertReport([staff], { severity: severities[i % 4], created_at: createdAt, status: i % 5 === 0 ? 'closed' : 'in_review', feedback_due_at: new Date(Date.UTC(2026, 3, 1) + (i % 3) * 1000) }));
    }
    await sql`update reports set created_at = '2026-02-02 02:02:02.123456+00' where id = any(${all.filter((_, i) => i % 4 === 0)}::uuid[])`.execute(db());
  });

  it.each(['newest', 'oldest', 'due', 'severity'] as QueueSortKey[])('walks every row exactly once in %s order', async (sort) => {
    const filter: QueueFilter = { ...everything };
    const seen: string[] = [];
    let after = null;
    for (let guard = 0; guard < 50; guard++) {
      const rows = await queuePage(db(), staff, filter, sort, after, 4);
      seen.push(...rows.slice(0, 4).map((r) => r.id));
      if (rows.length <= 4) break;
      const cursor = encodeCursor(sort, rows[3]!);
      after = decodeCursor(sort, cursor!);
      expect(after).not.toBeNull();
    }
    const full = (await queuePage(db(), staff, filter, sort, null, 1000)).map((r) => r.id);
    expect(seen).toEqual(full);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(sort === 'due' ? all.length - 5 : all.length); // closed reports have no deadline
  });

  it('ignores damaged cursors and cursors of another sort order', () => {
    const row = { id: randomUUID(), created_text: '2026-01-01T00:00:00.000001Z', due_text: null, severity_weight: 2 } as never;
    const cursor = encodeCursor('newest', row)!;
    expect(decodeCursor('newest', cursor)).toMatchObject({ key: '2026-01-01T00:00:00.000001Z' });
    expect(decodeCursor('oldest', cursor)).toBeNull();
    for (const bad of ['', '!!!', 'e30', Buffer.from('["newest","x","y"]').toString('base64url'), Buffer.from('["newest","2026-01-01T00:00:00.000001Z","1 or 1=1"]').toString('base64url')]) {
      expect(decodeCursor('newest', bad)).toBeNull();
    }
  });

  it('loadQueue pages through the service with an opaque cursor', async () => {
    const q = queueQuerySchema.parse({ status: 'all' });
    const first = await loadQueue(db(), { id: staff, role: 'reviewer' }, q);
    expect(first.items).toHaveLength(23);
    expect(first.nextCursor).toBeNull();
    expect(first.counts.find((c) => c.status === 'closed')?.n).toBe(5);
    expect(first.totalOpen).toBe(18);
  });
});
