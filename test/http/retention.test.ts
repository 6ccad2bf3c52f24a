import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { sql } from 'kysely';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { setTestEscrow } from '../helpers/reports.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { auditEvents, caseAction, fileReport, pngBytes, post, reporterAgent, signedIn, stagedFile, type Actor } from './case-fixtures.js';
import { openCaseWithEscrow } from '../../server/core/escrow/service.js';
import { runRetention, runScheduledRetention } from '../../server/core/retention/run.js';
import type { BoxKeyPair } from '../../server/core/crypto/index.js';

/**
 * Retention with crypto-shredding, end to end: cases filed through the real intake (real grants to
 * reviewers, custodian, reporter and escrow; real files, blind indexes and links), closed by a
 * reviewer over HTTP, then shredded by `retention:run --as-of` or the scheduled job.
 */

let t: TestApp;
let reviewer: Actor;
let escrow: BoxKeyPair;
const db = () => t.database.db;
const DAY = 86_400_000;

beforeAll(async () => {
  t = await createTestApp();
  escrow = await setTestEscrow(t);
  reviewer = await signedIn(t, { custodian: true });
});
afterAll(async () => {
  await t.close();
});

/** YYYY-MM-DD, `days` from now. */
const day = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

/** Every bytea value in every table of the database, as one lowercase hex text. */
async function allBytesHex(): Promise<string> {
  const { rows: columns } = await sql<{ table_name: string; column_name: string }>`
    select c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables t on t.table_name = c.table_name and t.table_schema = c.table_schema
    where c.table_schema = 'public' and c.data_type = 'bytea' and t.table_type = 'BASE TABLE'`.execute(db());
  const parts: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const { rows } = await sql<{ v: string | null }>`select encode(${sql.ref(column)}, 'hex') as v from ${sql.table(table)}`.execute(db());
    for (const r of rows) if (r.v) parts.push(r.v);
  }
  return parts.join('|');
}

/** The case's ciphertexts and key material, as hex: what must be gone after shredding. */
async function caseBytes(reportId: string): Promise<string[]> {
  const hex = (b: Uint8Array | null | undefined) => (b && b.length > 0 ? Buffer.from(b).toString('hex') : null);
  const report = await db().selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirstOrThrow();
  const grants = await db().selectFrom('report_key_grants').select('sealed_key').where('report_id', '=', reportId).execute();
  const messages = await db().selectFrom('messages').select('body_sealed').where('report_id', '=', reportId).execute();
  const notes = await db().selectFrom('notes').select('body_sealed').where('report_id', '=', reportId).execute();
  const files = await db().selectFrom('attachments').select(['id', 'meta_sealed']).where('report_id', '=', reportId).execute();
  const chunks = files.length ? await db().selectFrom('attachment_chunks').select('data').where('attachment_id', 'in', files.map((f) => f.id)).execute() : [];
  const indexes = await db().selectFrom('report_blind_indexes').select('digest').where('report_id', '=', reportId).execute();
  return [
    report.payload_sealed, report.identity_sealed, report.receipt_lookup_hash, report.reporter_wrapped_private_key,
    ...grants.map((g) => g.sealed_key), ...messages.map((m) => m.body_sealed), ...notes.map((n) => n.body_sealed),
    ...files.map((f) => f.meta_sealed), ...chunks.map((c) => c.data), ...indexes.map((i) => i.digest),
  ].flatMap((b) => hex(b) ?? []);
}

/** What statistics count: reports by every triage dimension. */
async function statistics(): Promise<string> {
  const { rows } = await sql<Record<string, unknown>>`
    select status, outcome, severity, channel, province, categories::text as categories, attachment_count, identity_present, count(*)::int as n
    from reports group by 1, 2, 3, 4, 5, 6, 7, 8 order by 1, 2, 3, 4, 5, 6, 7, 8`.execute(db());
  return JSON.stringify(rows);
}

async function escrowOpens(caseNumber: string) {
  return openCaseWithEscrow(db(), caseNumber, escrow.privateKey);
}

const shreddedAt = async (id: string) => (await db().selectFrom('reports').select('shredded_at').where('id', '=', id).executeTakeFirstOrThrow()).shredded_at;

describe('retention:run', () => {
  let closed: Awaited<ReturnType<typeof fileReport>>;
  let open: Awaited<ReturnType<typeof fileReport>>;

  beforeAll(async () => {
    const image = await stagedFile(t, '照片.png', await pngBytes(), 'image/png');
    closed = await fileReport(t, {
      identity: { name: '保留测试', consent: 'confidential' },
      attachments: [image],
      parcel: { waybillNumbers: ['SF 1234 5678 9012'], direction: 'outbound_international', noticedHow: 'acceptance_inspection' },
    });
    // Shares the waybill, so intake links the two (a link and blind-index entries on both).
    open = await fileReport(t, { parcel: { waybillNumbers: ['sf123456789012'], direction: 'outbound_international', noticedHow: 'acceptance_inspection' } });
    expect((await caseAction(reviewer.agent, closed.caseNumber, 'messages', { body: '请问包裹现在还在网点吗？' })).status).toBe(303);
    expect((await caseAction(reviewer.agent, closed.caseNumber, 'notes', { body: '内部备注：已核对监控。' })).status).toBe(303);
    expect((await caseAction(reviewer.agent, closed.caseNumber, 'status', { to: 'closed', outcome: 'unfounded' })).status).toBe(303);
  });

  it('tells the reporter of a closed report when it will be deleted', async () => {
    const agent = await reporterAgent(t, closed.receipt!);
    const page = await agent.get('/followup');
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-retention');
    // 180 days from closing, in the page's own date format (Beijing time).
    const expected = new Intl.DateTimeFormat('zh-CN', { dateStyle: 'medium', timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + 180 * DAY));
    expect(page.text).toContain(expected);
    const openPage = await (await reporterAgent(t, open.receipt!)).get('/followup');
    expect(openPage.text).not.toContain('data-retention');
  });

  it('shows the deletion date on the case page', async () => {
    const page = await reviewer.agent.get(`/staff/cases/${closed.caseNumber}`);
    expect(page.text).toContain('data-deletes-on');
    const openPage = await reviewer.agent.get(`/staff/cases/${open.caseNumber}`);
    expect(openPage.text).not.toContain('data-deletes-on');
  });

  it('leaves a case alone before its period is over, and --dry-run changes nothing', async () => {
    const early = await runCli(t, 'retention:run', '--as-of', day(178));
    expect(early.code).toBe(0);
    expect(early.out).not.toContain(closed.caseNumber);
    expect(early.out).toContain('0 cases shredded');

    const before = await allBytesHex();
    const dry = await runCli(t, 'retention:run', '--as-of', day(181), '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`would shred ${closed.caseNumber} (unfounded)`);
    expect(dry.out).toMatch(/1 files \(\d+ chunks\)/);
    expect(dry.out).not.toContain(open.caseNumber);
    expect(await allBytesHex()).toBe(before);
    expect(await shreddedAt(closed.reportId)).toBeNull();
    expect((await escrowOpens(closed.caseNumber)).ok).toBe(true);
  });

  it('refuses a malformed --as-of', async () => {
    for (const bad of ['2026-13-01', 'tomorrow', '2026-02-30']) {
      const res = await runCli(t, 'retention:run', '--as-of', bad);
      expect(res.code).toBe(64);
    }
  });

  it('shreds a closed case past its period: no key opens it, its ciphertext is gone, statistics stay', async () => {
    // The linked case has the same waybill, so the same blind-index digest: that one is its own, not ours.
    const shared = new Set((await db().selectFrom('report_blind_indexes').select('digest').where('report_id', '=', open.reportId).execute()).map((d) => Buffer.from(d.digest).toString('hex')));
    expect(shared.size).toBeGreaterThan(0);
    const secrets = (await caseBytes(closed.reportId)).filter((s) => !shared.has(s));
    expect(secrets.length).toBeGreaterThan(8);
    const everything = await allBytesHex();
    for (const s of secrets) expect(everything).toContain(s);
    const stats = await statistics();
    const openLinks = (await db().selectFrom('reports').select('link_count').where('id', '=', open.reportId).executeTakeFirstOrThrow()).link_count;
    expect(openLinks).toBe(1);
    // Before: K, KN and KI granted to the reviewer (a custodian), K to the reporter, K and KN to escrow.
    const grants = await db().selectFrom('report_key_grants').select(['key_kind', 'recipient_kind']).where('report_id', '=', closed.reportId).execute();
    const kinds = new Set(grants.map((g) => `${g.recipient_kind}:${g.key_kind}`));
    for (const k of ['staff:report', 'staff:notes', 'staff:identity', 'reporter:report', 'reporter:identity', 'escrow:report', 'escrow:notes']) expect(kinds, k).toContain(k);

    const messageCount = (await db().selectFrom('messages').select('id').where('report_id', '=', closed.reportId).execute()).length;
    expect(messageCount).toBeGreaterThanOrEqual(2);
    const res = await runCli(t, 'retention:run', '--as-of', day(181));
    expect(res.code).toBe(0);
    expect(res.out).toContain(`shredded ${closed.caseNumber} (unfounded)`);
    expect(res.out).toContain('1 case shredded');

    // No key of any kind is left: reviewers, custodian, reporter, escrow.
    expect(await db().selectFrom('report_key_grants').select('id').where('report_id', '=', closed.reportId).execute()).toEqual([]);
    expect(await escrowOpens(closed.caseNumber)).toEqual({ ok: false, reason: 'shredded' });
    const cliOpen = await runCli(t, 'escrow:open', '--case', closed.caseNumber, '--key-file', '/dev/null');
    expect(cliOpen.code).not.toBe(0);

    // Not one ciphertext byte string of the case is left anywhere in the database.
    const after = await allBytesHex();
    for (const s of secrets) expect(after).not.toContain(s);
    if (process.env.DATABASE_URL) {
      const url = new URL(process.env.DATABASE_URL);
      url.pathname = `/${t.database.name}`;
      const dump = execFileSync('pg_dump', ['--data-only', '--dbname', url.toString()], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
      expect(dump).toContain(closed.caseNumber); // the tombstone
      for (const s of secrets) expect(dump).not.toContain(s);
    }
    for (const table of ['messages', 'notes', 'attachments', 'identity_requests', 'referrals', 'report_blind_indexes'] as const) {
      expect(await db().selectFrom(table).select('report_id').where('report_id', '=', closed.reportId).execute(), table).toEqual([]);
    }

    // The tombstone keeps the triage metadata, so statistics do not move.
    const tomb = await db().selectFrom('reports').selectAll().where('id', '=', closed.reportId).executeTakeFirstOrThrow();
    expect(tomb).toMatchObject({ status: 'closed', outcome: 'unfounded', channel: 'public', province: 'GD', categories: ['spy_equipment'], identity_sealed: null, receipt_lookup_hash: null, reporter_wrapped_private_key: null });
    expect(tomb.payload_sealed).toHaveLength(0);
    expect(tomb.shredded_at).not.toBeNull();
    expect(tomb.closed_at).not.toBeNull();
    expect(await statistics()).toBe(stats);

    // The link is gone from the other case too; that case is untouched otherwise.
    expect((await db().selectFrom('reports').select('link_count').where('id', '=', open.reportId).executeTakeFirstOrThrow()).link_count).toBe(0);
    expect((await escrowOpens(open.caseNumber)).ok).toBe(true);

    // One audit event, with counts and the rule, never content.
    const events = (await auditEvents(t, closed.reportId)).filter((e) => e.event === 'case.shredded');
    expect(events).toHaveLength(1);
    expect(Object.keys(events[0]!.details).sort()).toEqual(['blindIndexes', 'chunks', 'files', 'grants', 'identityRequests', 'links', 'messages', 'notes', 'referralUpdates', 'referrals', 'rule'].sort());
    expect(events[0]!.details).toMatchObject({ rule: 'unfounded', messages: messageCount, notes: 1, files: 1, links: 1 });
    expect(JSON.stringify(events[0])).not.toContain('保留测试');

    // Running again shreds nothing more.
    expect((await runCli(t, 'retention:run', '--as-of', day(400))).out).not.toContain(closed.caseNumber);
  });

  it('gives the staff a "deleted" page and keeps the case out of the queue', async () => {
    const page = await reviewer.agent.get(`/staff/cases/${closed.caseNumber}`);
    expect(page.status).toBe(410);
    expect(page.text).toContain('data-shredded');
    expect(page.text).not.toContain('保留测试');
    // Nobody who could not have opened it learns the number existed: an admin, a reviewer approved since.
    const admin = await signedIn(t, { role: 'admin' });
    const newcomer = await signedIn(t);
    for (const other of [admin, newcomer]) {
      const res = await other.agent.get(`/staff/cases/${closed.caseNumber}`);
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('data-shredded');
    }
    const queue = await reviewer.agent.get('/staff?status=all');
    expect(queue.status).toBe(200);
    expect(queue.text).not.toContain(closed.caseNumber);
    expect(queue.text).toContain(open.caseNumber);
  });

  it('opens nothing with the receipt afterwards: the same answer as a receipt that never existed', async () => {
    const answer = async (receipt: string) => {
      const agent = request.agent(t.publicApp);
      const form = await agent.get('/followup');
      const res = await agent.post('/followup').type('form').send({ _csrf: csrfTokenFrom(form.text), receipt });
      return { status: res.status, text: res.text.replace(/name="_csrf" value="[^"]*"/g, '').replace(/nonce="[^"]*"/g, '') };
    };
    const shredded = await answer(closed.receipt!);
    const unknown = await answer('1234567812345678');
    expect(shredded.status).toBe(401);
    expect(shredded).toEqual(unknown);
  });
});

describe('legal hold and open cases', () => {
  it('a hold set by a reviewer suspends deletion until lifted; an open case is untouched ten years on', async () => {
    const held = await fileReport(t);
    const other = await fileReport(t);
    const open = await fileReport(t);
    for (const r of [held, other]) expect((await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'closed', outcome: 'handled_internally' })).status).toBe(303);

    const refused = await caseAction(reviewer.agent, held.caseNumber, 'legal-hold', { reason: 'whatever' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('请选择法律保全的理由。');
    const set = await caseAction(reviewer.agent, held.caseNumber, 'legal-hold', { reason: 'litigation' });
    expect(set.status).toBe(303);
    const page = await reviewer.agent.get(`/staff/cases/${held.caseNumber}`);
    expect(page.text).toContain('data-legal-hold');
    expect(page.text).not.toContain('data-deletes-on');

    const tenYears = day(3653);
    const run = await runCli(t, 'retention:run', '--as-of', tenYears);
    expect(run.out).toContain(`shredded ${other.caseNumber} (other)`);
    expect(run.out).not.toContain(held.caseNumber);
    expect(run.out).not.toContain(open.caseNumber);
    expect((await escrowOpens(held.caseNumber)).ok).toBe(true);
    expect((await escrowOpens(open.caseNumber)).ok).toBe(true);
    expect((await escrowOpens(other.caseNumber)).ok).toBe(false);

    expect((await caseAction(reviewer.agent, held.caseNumber, 'legal-hold/clear')).status).toBe(303);
    const again = await runCli(t, 'retention:run', '--as-of', tenYears);
    expect(again.out).toContain(`shredded ${held.caseNumber} (other)`);
    expect(again.out).not.toContain(open.caseNumber);
    expect((await escrowOpens(held.caseNumber)).ok).toBe(false);
    expect((await escrowOpens(open.caseNumber)).ok).toBe(true);

    const events = (await auditEvents(t, held.reportId)).map((e) => [e.event, e.details.reason ?? e.details.rule ?? null]);
    expect(events.filter(([e]) => String(e).startsWith('case.legal_hold') || e === 'case.shredded')).toEqual([
      ['case.legal_hold_set', 'litigation'],
      ['case.legal_hold_cleared', 'litigation'],
      ['case.shredded', 'other'],
    ]);
  });

  it('a referred case is kept for the referral period from the referral\'s last update', async () => {
    const r = await fileReport(t);
    const referral = await post(reviewer.agent, `/staff/cases/${r.caseNumber}/referrals/new`, `/staff/cases/${r.caseNumber}/referrals`, {
      channel: 'hotline_12339', referredAt: '2026-11-20T09:30', reference: 'Q-1', desk: '值班室', summary: '移交测试。',
    });
    expect(referral.status).toBe(303);
    // The reporter makes an anonymous reward claim: its commitment is the case's, and goes with it.
    expect((await caseAction(reviewer.agent, r.caseNumber, 'reward', { note: '请按说明申领奖励。' })).status).toBe(303);
    const reporter = await reporterAgent(t, r.receipt!);
    const status = await reporter.get('/followup');
    const claimed = await reporter.post('/followup/reward/code').type('form').send({ _csrf: csrfTokenFrom(status.text) });
    expect(claimed.status).toBe(200);
    const claims = () => db().selectFrom('reward_claims').select('id').where('report_id', '=', r.reportId).execute();
    expect(await claims()).toHaveLength(1);
    expect((await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'closed', outcome: 'referred_to_authority' })).status).toBe(303);
    expect((await runCli(t, 'retention:run', '--as-of', day(1090))).out).not.toContain(r.caseNumber);
    const res = await runCli(t, 'retention:run', '--as-of', day(1100));
    expect(res.out).toMatch(new RegExp(`shredded ${r.caseNumber} \\(referred\\): .* 1 referrals`));
    expect(await db().selectFrom('referrals').select('id').where('report_id', '=', r.reportId).execute()).toEqual([]);
    expect(await claims()).toEqual([]);
  });
});

describe('running twice at once', () => {
  it('two runs shred each case once', async () => {
    const cases = [await fileReport(t), await fileReport(t), await fileReport(t)];
    for (const r of cases) await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'closed', outcome: 'unfounded' });
    const periods = { unfoundedDays: 180, referredDays: 1095, otherDays: 365 };
    const asOf = new Date(Date.now() + 200 * DAY);
    const [a, b] = await Promise.all([runRetention(db(), periods, { asOf }), runRetention(db(), periods, { asOf })]);
    const shredded = [...a.items, ...b.items].map((i) => i.caseNumber).sort();
    expect(shredded).toEqual(cases.map((r) => r.caseNumber).sort());
    for (const r of cases) expect((await auditEvents(t, r.reportId)).filter((e) => e.event === 'case.shredded')).toHaveLength(1);
  });

  it('the scheduled job runs once per period across two instances', async () => {
    const r = await fileReport(t);
    await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'closed', outcome: 'unfounded' });
    const now = new Date(Date.now() + 365 * DAY);
    const [one, two] = await Promise.all([
      runScheduledRetention(t.ctx, now, { instance: 'instance-a' }),
      runScheduledRetention(t.ctx, now, { instance: 'instance-b' }),
    ]);
    expect([one, two].filter((x) => x !== null)).toHaveLength(1);
    expect([...(one?.items ?? []), ...(two?.items ?? [])].map((i) => i.caseNumber)).toEqual([r.caseNumber]);
    // The same period again: nobody runs.
    expect(await runScheduledRetention(t.ctx, new Date(now.getTime() + 60_000), { instance: 'instance-a' })).toBeNull();
    const job = await db().selectFrom('scheduled_jobs').selectAll().where('name', '=', 'retention').executeTakeFirstOrThrow();
    expect(job.runs).toBe(1);
  });
});

describe('periods from the admin settings', () => {
  it('an administrator shortens a period and the next run uses it (audited)', async () => {
    const admin = await signedIn(t, { role: 'admin' });
    const page = await admin.agent.get('/staff/admin/settings');
    expect(page.text).toContain('name="retention-unfoundedDays"');
    expect(page.text).toContain('value="180"');
    const bad = await post(admin.agent, '/staff/admin/settings', '/staff/admin/settings', { 'retention-unfoundedDays': '0' });
    expect(bad.status).toBe(422);
    const saved = await post(admin.agent, '/staff/admin/settings', '/staff/admin/settings', { 'retention-unfoundedDays': '30' });
    expect(saved.status).toBe(303);
    const audit = await db().selectFrom('audit_log').select('details').where('event', '=', 'settings.changed').execute();
    expect(audit.map((a) => a.details)).toContainEqual({ 'retention.unfoundedDays': 30 });

    const r = await fileReport(t);
    await caseAction(reviewer.agent, r.caseNumber, 'status', { to: 'closed', outcome: 'unfounded' });
    expect((await runCli(t, 'retention:run', '--as-of', day(31), '--dry-run')).out).toContain(`would shred ${r.caseNumber} (unfounded)`);
    expect((await runCli(t, 'retention:run', '--as-of', day(28), '--dry-run')).out).not.toContain(r.caseNumber);
  });
});
