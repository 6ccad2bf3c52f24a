import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestReviewer, submitTestReport, submitThroughForm, type TestStaff } from '../helpers/reports.js';
import { leaks, startSmtp, startWebhookReceiver, type TestSmtp } from '../helpers/alerts.js';
import { recordAlertEvent, type AlertEvent } from '../../server/core/alerts/events.js';
import { deliverDueAlerts, startAlertWorker, type AlertWorkerOptions } from '../../server/core/alerts/worker.js';
import { createMailTransport, type MailTransport } from '../../server/core/alerts/transports.js';
import { sealChannelConfig, urlHint } from '../../server/core/alerts/channels.js';
import { insertChannel } from '../../server/core/alerts/repository.js';
import { pngBytes, stagedFile } from './case-fixtures.js';

// Words typed into the tip, the identity and a category label: none may reach any alert.
const CANARIES = ['CANARYTIP', '金丝雀线索', 'CANARYNAME', '13900001111', 'CANARYFILE', 'explosives', '爆炸物品', 'spy_equipment', '间谍专用器材'];
const STAFF_URL = 'https://staff.parcelguard.test';

let t: TestApp;
let smtp: TestSmtp;
let mail: MailTransport;
let reviewer: TestStaff;
let custodian: TestStaff;
let admin: TestStaff;

const worker = (extra: Partial<AlertWorkerOptions> = {}): AlertWorkerOptions => ({ db: t.database.db, config: t.config, logger: t.ctx.logger, mail, ...extra });
const setEmail = (id: string, email: string) => t.database.db.updateTable('staff').set({ email }).where('id', '=', id).execute();
const outbox = () => t.database.db.selectFrom('alert_outbox').selectAll().orderBy('created_at').execute();

async function drain(options = worker(), now = new Date()) {
  let total = 0;
  for (let i = 0; i < 20; i++) {
    const r = await deliverDueAlerts(options, now);
    total += r.delivered;
    if (r.claimed === 0) break;
  }
  return total;
}

beforeAll(async () => {
  smtp = await startSmtp();
  t = await createTestApp({ SMTP_URL: smtp.url, STAFF_URL });
  mail = createMailTransport(smtp.url, t.config.alerts.mailFrom);
  reviewer = await createTestReviewer(t);
  custodian = await createTestReviewer(t, { custodian: true });
  admin = await createTestReviewer(t, { role: 'admin' });
  await setEmail(reviewer.id, 'reviewer@example.test');
  await setEmail(custodian.id, 'custodian@example.test');
  await setEmail(admin.id, 'admin@example.test');
});
afterAll(async () => {
  mail.close();
  await smtp.close();
  await t.close();
});
beforeEach(async () => {
  await t.database.db.deleteFrom('alert_outbox').execute();
  await t.database.db.deleteFrom('alert_channels').execute();
  smtp.mails.length = 0;
});

describe('an immediate-danger public tip', () => {
  it('is e-mailed at once to every reviewer who can read it, linking to the case and holding no word of the tip', async () => {
    const agent = request.agent(t.publicApp);
    const { receipt } = await submitThroughForm(agent, { categories: 'explosives', description: 'CANARYTIP 金丝雀线索 包裹有导线外露', immediate_danger: 'yes' });
    expect(receipt).toMatch(/^\d{16}$/);
    const report = await t.database.db.selectFrom('reports').select(['id', 'case_number']).orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
    const rows = await outbox();
    // Written with the report, urgent, one per key holder with an address (the admin holds no key).
    expect(rows.map((r) => r.staff_id).sort()).toEqual([reviewer.id, custodian.id].sort());
    expect(rows.every((r) => r.priority === 0 && r.report_id === report.id && r.status === 'pending')).toBe(true);

    expect(await drain()).toBe(2);
    expect(smtp.mails).toHaveLength(2);
    for (const m of smtp.mails) {
      expect(m.text).toContain(`${STAFF_URL}/staff/cases/${report.id}`);
      expect(m.subject).toContain(report.case_number);
      expect(m.text).toContain('紧迫危险');
      expect(leaks(m.raw + m.text + m.subject, CANARIES)).toEqual([]);
    }
    expect(smtp.mails.flatMap((m) => m.to).sort()).toEqual(['custodian@example.test', 'reviewer@example.test']);
    expect((await outbox()).every((r) => r.status === 'delivered' && r.delivered_at)).toBe(true);
  });
});

describe('content-free for every event type', () => {
  it('no alert of any kind, by e-mail or robot, carries a word of the tip, the identity, a file name or a category', async () => {
    const receiver = await startWebhookReceiver();
    try {
      for (const kind of ['wecom', 'dingtalk', 'feishu'] as const) {
        const id = crypto.randomUUID();
        const url = `${receiver.base}/${kind}?access_token=tok`;
        await insertChannel(t.database.db, { id, kind, name: `${kind} on-call`, config_sealed: sealChannelConfig(t.config.secrets, id, kind, { url, secret: 'SEC-canary' }), url_hint: urlHint(url), created_by: admin.id });
      }
      const photo = await stagedFile(t, 'CANARYFILE-包裹照片.png', await pngBytes(), 'image/png');
      const { reportId } = await submitTestReport(t, {
        categories: ['explosives', 'spy_equipment'],
        description: 'CANARYTIP 金丝雀线索',
        immediateDanger: true,
        identity: { name: 'CANARYNAME', phone: '13900001111', consent: 'confidential' },
        attachments: [photo],
      });
      expect((await t.database.db.selectFrom('attachments').select('id').where('report_id', '=', reportId).execute()).length).toBe(1);
      await t.database.db.updateTable('reports').set({ assignee_id: reviewer.id }).where('id', '=', reportId).execute();
      const now = new Date();
      const events: AlertEvent[] = [
        { type: 'reporter.replied', reportId },
        { type: 'identity.requested', reportId },
        { type: 'referral.awaiting_approval', reportId, requestedBy: reviewer.id },
        { type: 'protection.requested', reportId },
        { type: 'keyholder.awaiting_approval', staffId: reviewer.id },
        { type: 'audit.verification_failed', reason: 'chain' },
        { type: 'deadline', reportId, clock: 'triage', stage: 'due_soon', dueAt: now },
        { type: 'deadline', reportId, clock: 'triage', stage: 'overdue', dueAt: now },
        { type: 'deadline', reportId, clock: 'triage', stage: 'twice_overdue', dueAt: now },
      ];
      const seen = new Set<string>(['report.received']);
      for (const event of events) {
        const n = await t.database.db.transaction().execute((trx) => recordAlertEvent(trx, event));
        expect(n, event.type).toBeGreaterThan(0);
        seen.add(event.type);
      }
      const rows = await outbox();
      expect(new Set(rows.map((r) => r.event))).toEqual(seen);
      expect(rows.some((r) => r.transport === 'webhook')).toBe(true);
      const delivered = await drain();
      expect(delivered).toBe(rows.length);
      expect(smtp.mails.length).toBeGreaterThan(8);
      expect(receiver.hits.length).toBe(rows.filter((r) => r.transport === 'webhook').length);
      for (const m of smtp.mails) expect(leaks(m.raw + m.text + m.subject, CANARIES), m.subject).toEqual([]);
      for (const h of receiver.hits) expect(leaks(JSON.stringify(h.body), [...CANARIES, 'SEC-canary']), h.path).toEqual([]);
      // Case alerts link to the case; the admins' "twice overdue" names no case.
      const twice = smtp.mails.filter((m) => m.to.includes('admin@example.test') && /严重逾期/.test(m.subject));
      expect(twice).toHaveLength(1);
      expect(twice[0]!.text).not.toContain('/staff/cases/');
    } finally {
      await receiver.close();
    }
  });
});

describe('robots', () => {
  it('signs DingTalk in the query and Feishu in the body, as each platform checks them', async () => {
    const secret = 'SECxyz-robot-secret';
    const receiver = await startWebhookReceiver((hit) => {
      if (hit.path === '/dingtalk') {
        const ts = hit.query.get('timestamp')!;
        const expected = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
        const ok = hit.query.get('sign') === expected && Math.abs(Date.now() - Number(ts)) < 3600_000;
        return { status: 200, body: ok ? { errcode: 0 } : { errcode: 310000, errmsg: 'sign not match' } };
      }
      if (hit.path === '/feishu') {
        const ts = String(hit.body.timestamp);
        const expected = createHmac('sha256', `${ts}\n${secret}`).update('').digest('base64');
        const ok = hit.body.sign === expected && Math.abs(Date.now() / 1000 - Number(ts)) < 3600;
        return { status: 200, body: ok ? { code: 0 } : { code: 19021, msg: 'sign match fail' } };
      }
      return { status: 200, body: { errcode: 0 } };
    });
    try {
      for (const kind of ['dingtalk', 'feishu'] as const) {
        const id = crypto.randomUUID();
        const url = `${receiver.base}/${kind}`;
        await insertChannel(t.database.db, { id, kind, name: kind, config_sealed: sealChannelConfig(t.config.secrets, id, kind, { url, secret }), url_hint: urlHint(url), created_by: admin.id });
      }
      // A wrong secret: the robot refuses, the row fails at once with the robot's code.
      const badId = crypto.randomUUID();
      await insertChannel(t.database.db, { id: badId, kind: 'dingtalk', name: 'bad', config_sealed: sealChannelConfig(t.config.secrets, badId, 'dingtalk', { url: `${receiver.base}/dingtalk`, secret: 'wrong' }), url_hint: 'x', created_by: admin.id });
      await t.database.db.transaction().execute((trx) => recordAlertEvent(trx, { type: 'audit.verification_failed', reason: 'checkpoint' }));
      await drain();
      const rows = await outbox();
      const hooks = rows.filter((r) => r.transport === 'webhook');
      expect(hooks).toHaveLength(3);
      expect(hooks.filter((r) => r.status === 'delivered')).toHaveLength(2);
      const bad = hooks.find((r) => r.channel_id === badId)!;
      expect(bad.status).toBe('failed');
      expect(bad.last_error).toContain('dingtalk errcode 310000');
      expect(receiver.hits.find((h) => h.path === '/feishu')!.body).toMatchObject({ msg_type: 'text' });
    } finally {
      await receiver.close();
    }
  });
});

describe('delivery you can trust', () => {
  it('SMTP down then up: retried with backoff, delivered exactly once', async () => {
    const probe = await startSmtp();
    const port = probe.port;
    await probe.close();
    const downMail = createMailTransport(`smtp://127.0.0.1:${port}?ignoreTLS=true`, t.config.alerts.mailFrom);
    const options = worker({ mail: downMail, backoffMs: 60_000 });
    try {
      await t.database.db.transaction().execute((trx) => recordAlertEvent(trx, { type: 'keyholder.awaiting_approval', staffId: reviewer.id }));
      const now = new Date();
      const first = await deliverDueAlerts(options, now);
      expect(first).toMatchObject({ claimed: 1, delivered: 0, retried: 1 });
      let [row] = await outbox();
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      expect(row!.last_error).toMatch(/^smtp /);
      expect(new Date(row!.next_attempt_at).getTime()).toBe(now.getTime() + 60_000);
      // Not due yet: nothing is claimed.
      expect((await deliverDueAlerts(options, new Date(now.getTime() + 30_000))).claimed).toBe(0);
      const up = await startSmtp(port);
      try {
        const later = new Date(now.getTime() + 61_000);
        expect(await deliverDueAlerts(options, later)).toMatchObject({ claimed: 1, delivered: 1 });
        expect(await deliverDueAlerts(options, new Date(later.getTime() + 3600_000))).toMatchObject({ claimed: 0 });
        expect(up.mails).toHaveLength(1);
        [row] = await outbox();
        expect(row).toMatchObject({ status: 'delivered', attempts: 2, last_error: null });
      } finally {
        downMail.close();
        await up.close();
      }
    } finally {
      downMail.close();
    }
  });

  it('gives up after the last attempt and keeps the reason for admins', async () => {
    const options = worker({ mail: null, maxAttempts: 2, backoffMs: 1000 });
    await t.database.db.transaction().execute((trx) => recordAlertEvent(trx, { type: 'keyholder.awaiting_approval', staffId: reviewer.id }));
    const now = Date.now();
    await deliverDueAlerts(options, new Date(now));
    await deliverDueAlerts(options, new Date(now + 5000));
    const [row] = await outbox();
    expect(row).toMatchObject({ status: 'failed', attempts: 2 });
    expect(row!.last_error).toContain('smtp not configured');
    expect(row!.last_error).toContain('after 2 attempts');
  });

  it('two instances on one database deliver each alert exactly once', async () => {
    const { reportId } = await submitTestReport(t, { immediateDanger: true, description: 'CANARYTIP' });
    for (let i = 0; i < 15; i++) {
      await t.database.db.transaction().execute((trx) => recordAlertEvent(trx, { type: 'reporter.replied', reportId }));
    }
    const rows = await outbox();
    // Two key holders: two urgent alerts for the report, two per reply (nobody assigned).
    expect(rows.length).toBe(32);
    const mailB = createMailTransport(smtp.url, t.config.alerts.mailFrom);
    try {
      const a = worker({ instance: 'instance-a', batch: 3 });
      const b = worker({ instance: 'instance-b', batch: 3, mail: mailB });
      const [da, db] = await Promise.all([drain(a), drain(b)]);
      expect(da + db).toBe(32);
      expect(da).toBeGreaterThan(0);
      expect(db).toBeGreaterThan(0);
      expect(smtp.mails).toHaveLength(32);
      const after = await outbox();
      expect(after.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
    } finally {
      mailB.close();
    }
  });
});

describe('the running worker (as server/main.ts starts it)', () => {
  it('delivers an immediate-danger alert within seconds of the tip, and stops cleanly', async () => {
    const running = startAlertWorker({ config: { ...t.config, alerts: { ...t.config.alerts, pollMs: 200 } }, database: t.database, logger: t.ctx.logger });
    try {
      const started = Date.now();
      const { reportId } = await submitTestReport(t, { immediateDanger: true, description: 'CANARYTIP' });
      while (smtp.mails.length < 2 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 100));
      expect(smtp.mails).toHaveLength(2);
      expect(smtp.mails.every((m) => m.text.includes(`/staff/cases/${reportId}`))).toBe(true);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await running.stop();
    }
    const before = smtp.mails.length;
    await t.database.db.transaction().execute((trx) => recordAlertEvent(trx, { type: 'keyholder.awaiting_approval', staffId: reviewer.id }));
    await new Promise((r) => setTimeout(r, 600));
    expect(smtp.mails.length).toBe(before);
  });
});
