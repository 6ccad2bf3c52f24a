import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestReviewer, submitTestReport } from '../helpers/reports.js';
import { post, signedIn, type Actor } from './case-fixtures.js';
import { readSettings } from '../../server/core/settings/service.js';

let t: TestApp;
let admin: Actor;
let reviewer: Actor;

beforeAll(async () => {
  t = await createTestApp({ SLA_ACK_HOURS: '12', REFERRAL_REQUIRES_APPROVAL: 'false' });
  admin = await signedIn(t, { role: 'admin' });
  reviewer = await signedIn(t);
  await createTestReviewer(t);
}, 120_000);
afterAll(async () => {
  await t.close();
});

const page = '/staff/admin/settings';
const form = (fields: Record<string, string>) => ({
  'organisation-name': '',
  'organisation-defaultLocale': 'zh-CN',
  'deadlines-criticalTriageMinutes': '60',
  'deadlines-acknowledgeHours': '12',
  'deadlines-feedbackDays': '30',
  ...fields,
});

describe('settings in the staff workspace', () => {
  it('shows the environment defaults to an administrator, and nobody else', async () => {
    const res = await admin.agent.get(page);
    expect(res.status).toBe(200);
    expect(res.text).toContain('id="deadlines-acknowledgeHours" name="deadlines-acknowledgeHours" value="12"');
    expect((await reviewer.agent.get(page)).status).toBe(403);
    const anonymous = await request(t.staffApp).get(page);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe('/staff/login');
  });

  it('stores a change, audits it, and new reports get the new deadline', async () => {
    const saved = await post(admin.agent, page, page, form({ 'organisation-name': '顺丰安全部', 'deadlines-acknowledgeHours': '6', 'referrals-requireSecondApproval': 'yes' }));
    expect(saved.status).toBe(303);
    expect(saved.headers.location).toBe('/staff/admin/settings?done=saved');
    const settings = await readSettings(t.ctx, t.database.db, { fresh: true });
    expect(settings).toMatchObject({ 'organisation.name': '顺丰安全部', 'deadlines.acknowledgeHours': 6, 'referrals.requireSecondApproval': true });
    const audit = await t.database.db.selectFrom('audit_log').select(['actor_id', 'details']).where('event', '=', 'settings.changed').execute();
    expect(audit).toEqual([
      { actor_id: admin.staff.id, details: { 'organisation.name': '顺丰安全部', 'deadlines.acknowledgeHours': 6, 'referrals.requireSecondApproval': true } },
    ]);

    const before = Date.now();
    const report = await submitTestReport(t);
    const row = await t.database.db.selectFrom('reports').select('triage_due_at').where('id', '=', report.reportId).executeTakeFirstOrThrow();
    const hours = (new Date(row.triage_due_at).getTime() - before) / 3_600_000;
    expect(hours).toBeGreaterThan(5.9);
    expect(hours).toBeLessThan(6.1);

    // Unticking the checkbox sends nothing, which means "no".
    expect((await post(admin.agent, page, page, form({ 'organisation-name': '顺丰安全部', 'deadlines-acknowledgeHours': '6' }))).status).toBe(303);
    expect((await readSettings(t.ctx, t.database.db, { fresh: true }))['referrals.requireSecondApproval']).toBe(false);
  });

  it('refuses bad values with translated messages, keeps what was typed, and stores nothing', async () => {
    const before = await t.database.db.selectFrom('settings').selectAll().orderBy('key').execute();
    const res = await post(admin.agent, page, page, form({ 'organisation-name': '新名称', 'deadlines-acknowledgeHours': '9999', 'deadlines-feedbackDays': 'soon' }));
    expect(res.status).toBe(422);
    expect(res.text).toContain('请输入允许范围内的数值');
    expect(res.text).toContain('请输入整数');
    expect(res.text).toContain('value="9999"');
    expect(res.text).toContain('value="soon"');
    expect(res.text).toContain('value="新名称"');
    expect(res.text).toContain('href="#deadlines-acknowledgeHours"');
    expect(await t.database.db.selectFrom('settings').selectAll().orderBy('key').execute()).toEqual(before);
  });

  it('an unchanged form stores and audits nothing', async () => {
    const current = await readSettings(t.ctx, t.database.db, { fresh: true });
    const count = async () => (await t.database.db.selectFrom('audit_log').select('seq').where('event', '=', 'settings.changed').execute()).length;
    const audits = await count();
    const res = await post(admin.agent, page, page, form({
      'organisation-name': current['organisation.name'],
      'deadlines-acknowledgeHours': String(current['deadlines.acknowledgeHours']),
    }));
    expect(res.status).toBe(303);
    expect(await count()).toBe(audits);
  });
});
