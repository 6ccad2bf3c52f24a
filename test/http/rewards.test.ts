import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createEmployee, createTestOutlet } from '../helpers/employees.js';
import { postReportForm } from '../helpers/reports.js';
import { auditEvents, caseAction, fileReport, post, reporterAgent, signedIn, type Actor } from './case-fixtures.js';
import { checkClaimCode, normaliseClaimCode } from '../../server/core/crypto/index.js';

/**
 * Rewards and protection (seed 004 art. 38), from both sides: the reviewer marks a case
 * reward-eligible and records what the receiving body did; the reporter makes a claim code that only
 * they ever see, or reveals their identity for the reward after consenting, or asks for protection;
 * the receiving body checks the code against the bundle with `bundle:open --check-claim`.
 */
let t: TestApp;
let reviewer: Actor;
let custodian: Actor;
let dir: string;
let authorityId: string;
const CODE = /([0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5})/;

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t);
  custodian = await signedIn(t, { custodian: true });
  dir = mkdtempSync(path.join(tmpdir(), 'parcelguard-rewards-'));
  const keyFile = path.join(dir, 'bureau.key');
  const gen = await runCli(t, 'authority:keygen', '--out', keyFile);
  const publicB64 = /Public key to give the portal operator: (\S+)/.exec(gen.out)![1]!;
  expect((await runCli(t, 'authority:add', '--name', '某市国家安全局', '--public-key', publicB64)).code).toBe(0);
  authorityId = (await t.database.db.selectFrom('authorities').select('id').executeTakeFirstOrThrow()).id;
});
afterAll(async () => {
  await t.close();
});

const clearLimits = () => t.database.db.deleteFrom('rate_limits').execute();

async function reporterWithCase(identity = false) {
  const r = await fileReport(t, identity ? { identity: { name: '李明', phone: '13800138000', consent: 'share_with_authorities' } } : {});
  await clearLimits();
  const agent = await reporterAgent(t, r.receipt!);
  return { ...r, agent };
}

async function markEligible(caseNumber: string) {
  expect((await caseAction(reviewer.agent, caseNumber, 'reward', { note: '请按说明申领奖励。' })).status).toBe(303);
}

async function referral(caseNumber: string, reportId: string, fields: Record<string, string> = {}) {
  const res = await post(reviewer.agent, `/staff/cases/${caseNumber}/referrals/new`, `/staff/cases/${caseNumber}/referrals`, {
    channel: 'state_security_bureau', referredAt: '2026-11-21T10:00', reference: 'GA-2026-91', desk: '值班室', summary: '疑似窃听器材。', ...fields,
  });
  expect(res.status).toBe(303);
  return (await t.database.db.selectFrom('referrals').select('id').where('report_id', '=', reportId).executeTakeFirstOrThrow()).id;
}

async function exportBundle(caseNumber: string, referralId: string, actor: Actor = reviewer): Promise<string> {
  const sheet = await actor.agent.get(`/staff/cases/${caseNumber}/referrals/${referralId}/sheet`);
  expect(sheet.status).toBe(200);
  const res = await actor.agent
    .post(`/staff/cases/${caseNumber}/referrals/${referralId}/bundle`)
    .type('form')
    .buffer(true)
    .parse((response, done) => {
      const parts: Buffer[] = [];
      response.on('data', (c: Buffer) => parts.push(c));
      response.on('end', () => done(null, Buffer.concat(parts)));
    })
    .send({ _csrf: csrfTokenFrom(sheet.text), authority: authorityId });
  expect(res.status).toBe(200);
  const file = path.join(dir, `${caseNumber}-${Date.now()}.pgbundle`);
  writeFileSync(file, res.body as Buffer);
  return file;
}

/** Every text and bytea value in the database, as text and hex: a claim code must be in none of them. */
async function databaseDump(): Promise<string> {
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(t.database.db);
  const parts: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(t.database.db);
    for (const row of rows.rows) for (const v of Object.values(row)) parts.push(v instanceof Uint8Array ? Buffer.from(v).toString('hex') : JSON.stringify(v) ?? '');
  }
  return parts.join('\n');
}

describe('the anonymous reward claim', () => {
  it('is offered only once the case is reward-eligible', async () => {
    const r = await reporterWithCase();
    const before = await r.agent.get('/followup');
    expect(before.text).not.toContain('/followup/reward/code');
    const refused = await r.agent.post('/followup/reward/code').type('form').send({ _csrf: csrfTokenFrom(before.text) });
    expect(refused.status).toBe(404);
    expect(await t.database.db.selectFrom('reward_claims').selectAll().where('report_id', '=', r.reportId).execute()).toEqual([]);
  });

  it('shows the code once, keeps only a commitment, and the receiving body checks it from the bundle alone', async () => {
    const r = await reporterWithCase();
    await markEligible(r.caseNumber);
    const page = await r.agent.get('/followup');
    expect(page.text).toContain('生成奖励申领码');
    expect(page.text).toContain('action="/followup/reward/code"');
    const made = await r.agent.post('/followup/reward/code').type('form').send({ _csrf: csrfTokenFrom(page.text) });
    expect(made.status).toBe(200);
    expect(made.headers['cache-control']).toBe('no-store');
    const code = CODE.exec(made.text)![1]!;

    // The code is nowhere in the database, in clear or hex; what is there opens with it.
    const dump = await databaseDump();
    const canonical = normaliseClaimCode(code)!;
    for (const needle of [code, canonical, Buffer.from(canonical).toString('hex')]) expect(dump).not.toContain(needle);
    const row = await t.database.db.selectFrom('reward_claims').selectAll().where('report_id', '=', r.reportId).executeTakeFirstOrThrow();
    expect(row.kind).toBe('code');
    const claim = { salt: new Uint8Array(row.salt!), commitment: new Uint8Array(row.commitment!) };
    expect(checkClaimCode(r.caseNumber, code.toLowerCase().replace(/-/g, ' '), claim)).toBe(true);
    expect(checkClaimCode(r.caseNumber.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), code, claim)).toBe(false);
    expect((await auditEvents(t, r.reportId)).some((e) => e.event === 'reward.claim_created' && e.actor_id === null)).toBe(true);

    // The status page now says a code exists, and never shows it again.
    const after = await r.agent.get('/followup');
    expect(after.text).toContain('您已于');
    expect(after.text).not.toContain(code);

    // Referral → sheet carries the commitment → bundle → bundle:open --check-claim.
    const referralId = await referral(r.caseNumber, r.reportId);
    const sheet = await reviewer.agent.get(`/staff/cases/${r.caseNumber}/referrals/${referralId}/sheet`);
    expect(sheet.text).toContain(Buffer.from(claim.commitment).toString('hex'));
    expect(sheet.text).not.toContain(code);
    const bundle = await exportBundle(r.caseNumber, referralId);
    const keyFile = path.join(dir, 'bureau.key');
    const ok = await runCli(t, 'bundle:open', '--bundle', bundle, '--key-file', keyFile, '--check-claim', code);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('matches');
    const wrong = await runCli(t, 'bundle:open', '--bundle', bundle, '--key-file', keyFile, '--check-claim', 'ABCDE-FGHJK-MNPQR-STVWX');
    expect(wrong.code).toBe(65);
    expect(wrong.err).toContain('does NOT match');

    // A new code replaces the commitment: the old one no longer matches bundles made afterwards.
    const again = await r.agent.post('/followup/reward/code').type('form').send({ _csrf: csrfTokenFrom(after.text) });
    const second = CODE.exec(again.text)![1]!;
    expect(second).not.toBe(code);
    const newer = await exportBundle(r.caseNumber, referralId);
    expect((await runCli(t, 'bundle:open', '--bundle', newer, '--key-file', keyFile, '--check-claim', code)).code).toBe(65);
    expect((await runCli(t, 'bundle:open', '--bundle', newer, '--key-file', keyFile, '--check-claim', second)).code).toBe(0);
  });
});

describe('identity for the reward only', () => {
  it('asks for explicit consent, keeps what was typed when refused, and seals it to the custodians', async () => {
    const r = await reporterWithCase();
    await markEligible(r.caseNumber);
    const form = await r.agent.get('/followup/reward/identity');
    expect(form.status).toBe(200);
    expect(form.text).toContain('谁会看到什么');
    const noConsent = await r.agent.post('/followup/reward/identity').type('form').send({ _csrf: csrfTokenFrom(form.text), identity_name: '王芳', identity_phone: '13700137000' });
    expect(noConsent.status).toBe(422);
    expect(noConsent.text).toContain('请勾选同意');
    expect(noConsent.text).toContain('value="王芳"');
    expect(await t.database.db.selectFrom('reward_claims').selectAll().where('report_id', '=', r.reportId).execute()).toEqual([]);

    const given = await r.agent.post('/followup/reward/identity').type('form').send({ _csrf: csrfTokenFrom(form.text), consent: 'yes', identity_name: '王芳', identity_phone: '13700137000' });
    expect(given.status).toBe(303);
    expect(await databaseDump()).not.toContain('王芳');

    // A reviewer without KI sees that it was given, not what; the custodian sees it on the sheet, audited.
    const referralId = await referral(r.caseNumber, r.reportId);
    const plain = await reviewer.agent.get(`/staff/cases/${r.caseNumber}/referrals/${referralId}/sheet`);
    expect(plain.text).not.toContain('王芳');
    expect(plain.text).toContain('您没有身份密钥');
    const sheet = await custodian.agent.get(`/staff/cases/${r.caseNumber}/referrals/${referralId}/sheet`);
    expect(sheet.text).toContain('王芳');
    const views = (await auditEvents(t, r.reportId)).filter((e) => e.event === 'identity.viewed');
    expect(views.at(-1)).toMatchObject({ actor_id: custodian.staff.id, details: { via: 'reward_claim' } });
  });
});

describe('a protection request', () => {
  it('is on the follow-up page, needs the confirmation, raises the case to critical and alerts at once', async () => {
    const r = await reporterWithCase();
    await t.database.db.updateTable('staff').set({ email: 'reviewer@example.cn' }).where('id', '=', reviewer.staff.id).execute();
    const page = await r.agent.get('/followup');
    expect(page.text).toContain('action="/followup/protection"');
    const typed = '有人打电话说知道我举报了，让我小心。';
    const refused = await r.agent.post('/followup/protection').type('form').send({ _csrf: csrfTokenFrom(page.text), message: typed });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('请勾选确认');
    expect(refused.text).toContain(typed);
    const before = await t.database.db.selectFrom('reports').select(['severity', 'feedback_due_at']).where('id', '=', r.reportId).executeTakeFirstOrThrow();
    expect(before.severity).not.toBe('critical');

    const sent = await r.agent.post('/followup/protection').type('form').send({ _csrf: csrfTokenFrom(page.text), confirm: 'yes', message: typed });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe('/followup/protection/sent');
    const row = await t.database.db.selectFrom('reports').select(['severity', 'protection_requested_at', 'feedback_due_at']).where('id', '=', r.reportId).executeTakeFirstOrThrow();
    expect(row.severity).toBe('critical');
    expect(row.protection_requested_at).not.toBeNull();
    expect(new Date(row.feedback_due_at).getTime()).toBeLessThan(new Date(before.feedback_due_at).getTime());
    expect(new Date(row.feedback_due_at).getTime() - Date.now()).toBeLessThanOrEqual(61 * 60_000);
    const alerts = await t.database.db.selectFrom('alert_outbox').select(['event', 'staff_id', 'priority']).where('report_id', '=', r.reportId).execute();
    expect(alerts).toContainEqual({ event: 'protection.requested', staff_id: reviewer.staff.id, priority: 0 });
    expect(await databaseDump()).not.toContain(typed);

    // The reviewer sees the checklist; the reporter sees their words and the notice in the thread.
    const casePage = await reviewer.agent.get(`/staff/cases/${r.caseNumber}`);
    expect(casePage.text).toContain('举报人请求保护');
    expect(casePage.text).toContain('110');
    expect(casePage.text).toContain(typed);
    const status = await r.agent.get('/followup');
    expect(status.text).toContain('您的保护请求已收到');
    expect((await auditEvents(t, r.reportId)).some((e) => e.event === 'report.protection_requested' && e.actor_id === null)).toBe(true);
  });

  it('is there for an employee in "my tips" too', async () => {
    const outlet = await createTestOutlet(t, { company: '圆通速递', outlet: '宝安营业部', province: 'GD', city: '深圳' });
    const employee = await createEmployee(t, { outletId: outlet.id });
    const form = await employee.agent.get('/employee/report');
    const fresh = Object.fromEntries([...form.text.matchAll(/name="(courier_company|outlet)"[^>]*value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const filed = await postReportForm(employee.agent, '/employee/report', csrfTokenFrom(form.text), {
      ...fresh, province: 'GD', categories: 'spy_equipment', description: '包裹内发现疑似窃听设备，寄件人拒绝实名。', immediate_danger: 'no', identity_choice: 'confidential', action: 'send',
    });
    expect(filed.status).toBe(303);
    const caseNumber = /(PG-[0-9A-Z]{4}-[0-9A-Z]{4})/.exec(filed.headers.location!)![1]!;
    const tip = await employee.agent.get(`/employee/tips/${caseNumber}`);
    expect(tip.text).toContain(`action="/employee/tips/${caseNumber}/protection"`);
    const sent = await employee.agent.post(`/employee/tips/${caseNumber}/protection`).type('form').send({ _csrf: csrfTokenFrom(tip.text), confirm: 'yes', message: '' });
    expect(sent.status).toBe(303);
    const row = await t.database.db.selectFrom('reports').select(['severity', 'protection_requested_at']).where('case_number', '=', caseNumber).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ severity: 'critical' });
    expect(row.protection_requested_at).not.toBeNull();

    // Someone else's tip: 404, nothing changes.
    const other = await createEmployee(t, { outletId: outlet.id });
    const own = await other.agent.get('/employee/tips');
    const stranger = await other.agent.post(`/employee/tips/${caseNumber}/protection`).type('form').send({ _csrf: csrfTokenFrom(own.text), confirm: 'yes', message: '' });
    expect([302, 303, 404]).toContain(stranger.status);
    expect(stranger.headers.location ?? '').not.toContain('/protection/sent');
  });
});

describe('the referral outcome and organisation credit', () => {
  it('records what the body did, sealed reference, and tells the reporter in plain words', async () => {
    const r = await reporterWithCase();
    const referralId = await referral(r.caseNumber, r.reportId);
    const bad = await post(reviewer.agent, `/staff/cases/${r.caseNumber}`, `/staff/cases/${r.caseNumber}/referrals/${referralId}/outcome`, { outcome: 'case_opened', on: '2026-13-40', reference: '国安-2026-118' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('国安-2026-118');
    const ok = await post(reviewer.agent, `/staff/cases/${r.caseNumber}`, `/staff/cases/${r.caseNumber}/referrals/${referralId}/outcome`, { outcome: 'risk_removed', on: '2026-11-28', reference: '国安-2026-118' });
    expect(ok.status).toBe(303);
    const row = await t.database.db
      .selectFrom('referrals')
      .select(['outcome', sql<string>`to_char(outcome_on, 'YYYY-MM-DD')`.as('on')])
      .where('id', '=', referralId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ outcome: 'risk_removed', on: '2026-11-28' });
    expect(await databaseDump()).not.toContain('国安-2026-118');
    const casePage = await reviewer.agent.get(`/staff/cases/${r.caseNumber}`);
    expect(casePage.text).toContain('国安-2026-118');
    expect(casePage.text).toContain('风险已排除');
    const status = await r.agent.get('/followup');
    expect(status.text).toContain('相关风险已被排除');
  });

  it('credits a company once, refuses a second time with a message, and can be removed', async () => {
    const r = await fileReport(t);
    const outlet = await createTestOutlet(t, { company: '韵达快递', outlet: '南山网点', province: 'GD', city: '深圳' });
    const { organisation_id: organisationId } = await t.database.db.selectFrom('outlets').select('organisation_id').where('id', '=', outlet.id).executeTakeFirstOrThrow();
    const target = `${organisationId}/${outlet.id}`;
    expect((await caseAction(reviewer.agent, r.caseNumber, 'credits', { target })).status).toBe(303);
    const again = await caseAction(reviewer.agent, r.caseNumber, 'credits', { target });
    expect(again.status).toBe(422);
    expect(again.text).toContain('该单位已在本案中记录过');
    const foreign = await caseAction(reviewer.agent, r.caseNumber, 'credits', { target: `${organisationId}/00000000-0000-4000-8000-000000000000` });
    expect(foreign.status).toBe(422);
    const credit = await t.database.db.selectFrom('case_credits').select('id').where('report_id', '=', r.reportId).executeTakeFirstOrThrow();
    expect((await caseAction(reviewer.agent, r.caseNumber, 'credits/remove', { creditId: credit.id })).status).toBe(303);
    expect(await t.database.db.selectFrom('case_credits').selectAll().where('report_id', '=', r.reportId).execute()).toEqual([]);
    expect((await auditEvents(t, r.reportId)).map((e) => e.event)).toEqual(expect.arrayContaining(['case.credit_added', 'case.credit_removed']));
  });
});
