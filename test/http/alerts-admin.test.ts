import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { fetchCsrf } from '../helpers/forms.js';
import { createStaff, loginStaff, type TestStaff } from '../helpers/staff.js';
import { startSmtp, startWebhookReceiver, type TestSmtp } from '../helpers/alerts.js';
import { openChannelConfig } from '../../server/core/alerts/channels.js';
import { runCli } from '../helpers/cli.js';

let t: TestApp;
let smtp: TestSmtp;
let admin: TestStaff;
let reviewer: TestStaff;
let adminAgent: TestAgent;
let reviewerAgent: TestAgent;

const audits = async (event: string) => t.database.db.selectFrom('audit_log').select(['event', 'subject_id', 'details']).where('event', '=', event).execute();

beforeAll(async () => {
  smtp = await startSmtp();
  t = await createTestApp({ SMTP_URL: smtp.url });
  admin = await createStaff(t, { role: 'admin' });
  reviewer = await createStaff(t);
  adminAgent = await loginStaff(t, admin);
  reviewerAgent = await loginStaff(t, reviewer);
});
afterAll(async () => {
  await smtp.close();
  await t.close();
});
beforeEach(() => {
  smtp.mails.length = 0;
});

describe('own alert settings on /staff/account', () => {
  it('shows the form, saves e-mail and digest (audited without the address), refuses a bad address', async () => {
    const page = await reviewerAgent.get('/staff/account');
    expect(page.status).toBe(200);
    expect(page.text).toContain('action="/staff/account/alerts"');
    const token = await fetchCsrf(reviewerAgent, '/staff/account');
    const bad = await reviewerAgent.post('/staff/account/alerts').type('form').send({ _csrf: token, email: 'not-an-address', digest: 'hourly' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('请输入有效的电子邮件地址');
    const ok = await reviewerAgent.post('/staff/account/alerts').type('form').send({ _csrf: token, email: 'me@example.test', digest: 'daily' });
    expect(ok.status).toBe(303);
    const row = await t.database.db.selectFrom('staff').select(['email', 'alert_digest']).where('id', '=', reviewer.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ email: 'me@example.test', alert_digest: 'daily' });
    const [audit] = await audits('alerts.preferences_changed');
    expect(audit).toMatchObject({ subject_id: reviewer.id });
    expect(JSON.stringify(audit!.details)).not.toContain('me@example.test');
    const test = await reviewerAgent.post('/staff/account/alerts/test').type('form').send({ _csrf: token });
    expect(test.status).toBe(200);
    expect(smtp.mails.map((m) => m.to)).toEqual([['me@example.test']]);
  });

  it('refuses a form without the CSRF token', async () => {
    const res = await reviewerAgent.post('/staff/account/alerts').type('form').send({ email: 'x@example.test', digest: 'daily' });
    expect(res.status).toBe(403);
  });
});

describe('/staff/admin/alerts', () => {
  it('is for admins only', async () => {
    expect((await reviewerAgent.get('/staff/admin/alerts')).status).toBe(403);
    expect((await adminAgent.get('/staff/admin/alerts')).status).toBe(200);
  });

  it('adds a DingTalk channel sealed, tests it against a signing robot, disables and deletes it, all audited', async () => {
    const receiver = await startWebhookReceiver((hit) => ({ status: 200, body: hit.query.get('sign') ? { errcode: 0 } : { errcode: 310000 } }));
    try {
      const token = await fetchCsrf(adminAgent, '/staff/admin/alerts');
      const url = `${receiver.base}/robot/send?access_token=SECRET-TOKEN-123`;
      const bad = await adminAgent.post('/staff/admin/alerts/channels').type('form').send({ _csrf: token, kind: 'dingtalk', name: '值班群', url: 'ftp://x', secret: '' });
      expect(bad.status).toBe(422);
      const added = await adminAgent.post('/staff/admin/alerts/channels').type('form').send({ _csrf: token, kind: 'dingtalk', name: '值班群', url, secret: 'SECabc' });
      expect(added.status).toBe(303);
      const channel = await t.database.db.selectFrom('alert_channels').selectAll().executeTakeFirstOrThrow();
      // Sealed: neither the token nor the secret is in the row, and it opens only for its own id and kind.
      expect(Buffer.from(channel.config_sealed).toString('latin1')).not.toContain('SECRET-TOKEN');
      expect(channel.url_hint).not.toContain('SECRET-TOKEN');
      expect(openChannelConfig(t.config.secrets, channel.id, 'dingtalk', new Uint8Array(channel.config_sealed))).toEqual({ url, secret: 'SECabc' });
      expect(() => openChannelConfig(t.config.secrets, channel.id, 'feishu', new Uint8Array(channel.config_sealed))).toThrow();
      const page = await adminAgent.get('/staff/admin/alerts');
      expect(page.text).toContain('值班群');
      expect(page.text).not.toContain('SECRET-TOKEN');
      expect(page.text).not.toContain('SECabc');

      const test = await adminAgent.post(`/staff/admin/alerts/channels/${channel.id}/test`).type('form').send({ _csrf: token });
      expect(test.status).toBe(200);
      expect(test.text).toContain('测试提醒已送达');
      expect(receiver.hits).toHaveLength(1);
      expect(receiver.hits[0]!.query.get('access_token')).toBe('SECRET-TOKEN-123');

      expect((await adminAgent.post(`/staff/admin/alerts/channels/${channel.id}/disable`).type('form').send({ _csrf: token })).status).toBe(303);
      expect((await t.database.db.selectFrom('alert_channels').select('enabled').executeTakeFirstOrThrow()).enabled).toBe(false);
      expect((await adminAgent.post(`/staff/admin/alerts/channels/${channel.id}/delete`).type('form').send({ _csrf: token })).status).toBe(303);
      expect(await t.database.db.selectFrom('alert_channels').selectAll().execute()).toEqual([]);
      for (const event of ['alerts.channel_added', 'alerts.test_sent', 'alerts.channel_disabled', 'alerts.channel_deleted']) {
        expect((await audits(event)).length, event).toBeGreaterThan(0);
      }
      const addedAudit = (await audits('alerts.channel_added'))[0]!;
      expect(JSON.stringify(addedAudit.details)).not.toContain('SEC');
    } finally {
      await receiver.close();
    }
  });

  it("edits another account's address and lists failed deliveries with their reasons", async () => {
    const token = await fetchCsrf(adminAgent, '/staff/admin/alerts');
    const res = await adminAgent.post(`/staff/admin/alerts/staff/${reviewer.id}`).type('form').send({ _csrf: token, email: 'reviewer2@example.test', digest: 'immediate' });
    expect(res.status).toBe(303);
    expect((await t.database.db.selectFrom('staff').select('email').where('id', '=', reviewer.id).executeTakeFirstOrThrow()).email).toBe('reviewer2@example.test');
    await t.database.db
      .insertInto('alert_outbox')
      .values({ event: 'reporter.replied', transport: 'email', staff_id: reviewer.id, case_number: 'PG-FAILED-1', status: 'failed', attempts: 8, last_error: 'smtp 550 on RCPT TO (after 8 attempts)', next_attempt_at: new Date(), created_at: new Date() })
      .execute();
    const page = await adminAgent.get('/staff/admin/alerts');
    expect(page.text).toContain('PG-FAILED-1');
    expect(page.text).toContain('smtp 550 on RCPT TO');
  });
});

describe('staff:create --email', () => {
  it('sets the address the alerts go to, and refuses a malformed one', async () => {
    const ok = await runCli(t, 'staff:create', '--username', 'alice-alerts', '--role', 'reviewer', '--email', 'alice@example.test');
    expect(ok.code).toBe(0);
    const row = await t.database.db.selectFrom('staff').select(['email', 'alert_digest']).where('username', '=', 'alice-alerts').executeTakeFirstOrThrow();
    expect(row).toEqual({ email: 'alice@example.test', alert_digest: 'immediate' });
    const bad = await runCli(t, 'staff:create', '--username', 'bob-alerts', '--role', 'reviewer', '--email', 'bob@');
    expect(bad.code).toBe(64);
    expect(await t.database.db.selectFrom('staff').select('id').where('username', '=', 'bob-alerts').executeTakeFirst()).toBeUndefined();
  });
});
