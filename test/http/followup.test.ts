import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createTestReviewer, followupLogin, hiddenFields, postReportForm, submitTestReport, type TestStaff } from '../helpers/reports.js';
import { Kdf, openJson } from '../../server/core/crypto/index.js';
import { createPublicApp } from '../../server/public/app.js';
import { openReportKey } from '../../server/core/reports/keys.js';
import { appendMessage, listMessages, sealRewardNote } from '../../server/core/reports/messages.js';
import { listReportAttachments } from '../../server/core/reports/attachments.js';
import type { IdentityRecord } from '../../server/core/reports/model.js';
import { LOGIN_GLOBAL_BUDGET, timelineOf } from '../../server/core/followup/service.js';
import { setCounter } from '../helpers/rate-limits.js';

let t: TestApp;
let reviewer: TestStaff;
let custodian: TestStaff;
beforeAll(async () => {
  t = await createTestApp();
  reviewer = await createTestReviewer(t);
  custodian = await createTestReviewer(t, { custodian: true });
});
afterAll(async () => {
  await t.close();
});

const staff = (s: TestStaff) => ({ kind: 'staff' as const, id: s.id, publicKey: s.publicKey, privateKey: s.privateKey });
const main = (html: string) => /<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '';
const clearLimits = () => t.database.db.deleteFrom('rate_limits').execute();

async function signedIn(overrides = {}) {
  const report = await submitTestReport(t, overrides);
  await clearLimits(); // every test signs in from the same address
  const agent = request.agent(t.publicApp);
  const login = await followupLogin(agent, report.receipt!);
  expect(login.status).toBe(303);
  return { ...report, agent };
}

async function statusPage(agent: TestAgent) {
  const res = await agent.get('/followup');
  expect(res.status).toBe(200);
  return res;
}

describe('receipt sign-in', () => {
  it('accepts the receipt with spaces or dashes, sets its own strict cookie and shows the status', async () => {
    const { receipt, caseNumber } = await submitTestReport(t);
    const agent = request.agent(t.publicApp);
    const typed = `${receipt!.slice(0, 4)} ${receipt!.slice(4, 8)}-${receipt!.slice(8, 12)} ${receipt!.slice(12)}`;
    const login = await followupLogin(agent, typed);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/followup');
    const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).find((c) => c.startsWith('pg_followup='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Expires|Max-Age/); // gone with the browser session
    const page = await statusPage(agent);
    expect(page.text).toContain(caseNumber);
    expect(page.text).toMatch(/<li class="" aria-current="step">已收到/);
    expect(page.text).toContain('我们已收到您的线索，它已被加密保存');
    expect(page.text).not.toMatch(/\b(intake|followup|common)\.[a-zA-Z_]+/);
    const ids = [...page.text.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    for (const [, id] of page.text.matchAll(/<(?:input|textarea|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"/g)) expect(page.text, id).toContain(`for="${id}"`);
    const session = await t.database.db.selectFrom('sessions').selectAll().where('kind', '=', 'reporter').orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(session.idle_seconds).toBe(15 * 60);
  });

  it('answers a wrong, a malformed and an unknown receipt with the same generic message', async () => {
    await clearLimits();
    const { receipt } = await submitTestReport(t);
    const wrong = receipt!.slice(0, 15) + ((Number(receipt!.at(-1)) + 1) % 10);
    const answers = [];
    for (const attempt of [wrong, '1234', 'not a receipt <script>', '']) {
      const res = await followupLogin(request.agent(t.publicApp), attempt);
      expect(res.status).toBe(401);
      expect(res.headers['set-cookie']?.toString() ?? '').not.toContain('pg_followup=');
      answers.push(main(res.text).replace(/name="_csrf" value="[^"]+"/, ''));
    }
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toContain('无法用这个回执码找到线索');
    expect(answers[0]).not.toContain('script');
  });

  it('is throttled per address, refusing before argon2id', async () => {
    await clearLimits();
    let calls = 0;
    class CountingKdf extends Kdf {
      protected override runArgon2<T>(compute: () => Promise<T>): Promise<T> {
        calls++;
        return compute();
      }
    }
    const app = createPublicApp({ ...t.ctx, kdf: new CountingKdf(t.config.argon2) });
    const agent = request.agent(app);
    for (let i = 0; i < 10; i++) expect((await followupLogin(agent, '0000 0000 0000 0000')).status).toBe(401);
    expect(calls).toBe(10);
    const blocked = await followupLogin(agent, '0000 0000 0000 0000');
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toMatch(/^\d+$/);
    expect(blocked.text).toContain('尝试次数过多');
    expect(calls).toBe(10);
    await clearLimits();
  });

  it('is throttled globally across addresses once every network together reaches the hard cap', async () => {
    await clearLimits();
    const { receipt } = await submitTestReport(t);
    await setCounter(t, LOGIN_GLOBAL_BUDGET.bucket, LOGIN_GLOBAL_BUDGET.windowSeconds, 'everyone', LOGIN_GLOBAL_BUDGET.hard);
    const res = await followupLogin(request.agent(t.publicApp), receipt!);
    expect(res.status).toBe(429);
    await clearLimits();
  });
});

describe('the thread', () => {
  it('shows a reviewer message and marks it read; the reporter replies, sealed under K', async () => {
    const { reportId, agent } = await signedIn();
    const k = (await openReportKey(t.database.db, reportId, 'report', staff(reviewer)))!;
    await t.database.db.transaction().execute((trx) => appendMessage(trx, { reportId, authorKind: 'staff', authorId: reviewer.id, body: '请问包裹现在还在网点吗？' }, k));
    const page = await statusPage(agent);
    expect(page.text).toContain('请问包裹现在还在网点吗？');
    expect(page.text).toContain('审核人员');
    const unread = await t.database.db.selectFrom('messages').select('id').where('report_id', '=', reportId).where('author_kind', '=', 'staff').where('read_by_reporter_at', 'is', null).execute();
    expect(unread).toEqual([]);

    const reply = await agent.post('/followup/reply').type('form').send({ _csrf: csrfTokenFrom(page.text), body: '还在，已暂扣。' });
    expect(reply.status).toBe(303);
    const thread = await listMessages(t.database.db, reportId, k);
    expect(thread.at(-1)).toMatchObject({ authorKind: 'reporter', body: '还在，已暂扣。' });
    const row = await t.database.db.selectFrom('reports').select('last_reporter_activity_at').where('id', '=', reportId).executeTakeFirstOrThrow();
    expect(row.last_reporter_activity_at).not.toBeNull();
    const audit = await t.database.db.selectFrom('audit_log').selectAll().where('case_id', '=', reportId).where('event', '=', 'report.reporter_message').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_kind: 'reporter', actor_id: null });
    expect(audit[0]!.details).toEqual({});
    expect((await statusPage(agent)).text).toContain('还在，已暂扣。');
  });

  it('keeps a rejected reply on the page with a message', async () => {
    const { agent } = await signedIn();
    const page = await statusPage(agent);
    const empty = await agent.post('/followup/reply').type('form').send({ _csrf: csrfTokenFrom(page.text), body: '   ' });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('href="#field-body"');
    const long = '很长的回复'.repeat(2001);
    const tooLong = await agent.post('/followup/reply').type('form').send({ _csrf: csrfTokenFrom(page.text), body: long });
    expect(tooLong.status).toBe(422);
    expect(tooLong.text).toContain(`${long}</textarea>`);
  });
});

describe('adding files', () => {
  it('attaches files under K, with an optional note they hang off', async () => {
    const { reportId, agent } = await signedIn();
    const page = await statusPage(agent);
    const res = await postReportForm(agent, '/followup/files', csrfTokenFrom(page.text), { note: '面单照片' }, [
      { name: '面单.txt', body: Buffer.from('YT0000000001'), type: 'text/plain' },
    ]);
    expect(res.status).toBe(303);
    const k = (await openReportKey(t.database.db, reportId, 'report', staff(reviewer)))!;
    const files = await listReportAttachments(t.database.db, reportId, k);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ uploadedBy: 'reporter', meta: { name: '面单.txt' } });
    const thread = await listMessages(t.database.db, reportId, k);
    expect(thread.find((m) => m.id === files[0]!.messageId)?.body).toBe('面单照片');
    const row = await t.database.db.selectFrom('reports').select('attachment_count').where('id', '=', reportId).executeTakeFirstOrThrow();
    expect(row.attachment_count).toBe(1);
    const after = await statusPage(agent);
    expect(after.text).toMatch(/面单\.txt/);
    const audit = await t.database.db.selectFrom('audit_log').select('details').where('case_id', '=', reportId).where('event', '=', 'report.reporter_file_added').executeTakeFirstOrThrow();
    expect(audit.details).toEqual({ count: 1 });
  });

  it('keeps the note and the good files when one file is refused', async () => {
    const { reportId, agent } = await signedIn();
    const page = await statusPage(agent);
    const res = await postReportForm(agent, '/followup/files', csrfTokenFrom(page.text), { note: '保留的说明' }, [
      { name: 'good.txt', body: Buffer.from('good'), type: 'text/plain' },
      { name: 'bad.bin', body: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64)]), type: 'application/octet-stream' },
    ]);
    expect(res.status).toBe(422);
    expect(res.text).toContain('保留的说明</textarea>');
    expect(res.text).toMatch(/bad\.bin<\/span>: /);
    const hidden = Object.fromEntries(hiddenFields(res.text, '/followup/files').filter(([n]) => n !== '_csrf'));
    expect(hidden.staged).toMatch(/^[0-9a-f-]{36}$/);
    const retry = await postReportForm(agent, '/followup/files', csrfTokenFrom(res.text), { ...hidden, note: '保留的说明' });
    expect(retry.status).toBe(303);
    const k = (await openReportKey(t.database.db, reportId, 'report', staff(reviewer)))!;
    expect((await listReportAttachments(t.database.db, reportId, k)).map((f) => f.meta.name)).toEqual(['good.txt']);
  });

  it('asks for a file when none was chosen', async () => {
    const { agent } = await signedIn();
    const page = await statusPage(agent);
    const res = await postReportForm(agent, '/followup/files', csrfTokenFrom(page.text), { note: 'n' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('请选择至少一个文件');
  });
});

describe('consent', () => {
  it('moves up from anonymous to confidential to sharing, and refuses a downgrade with an explanation', async () => {
    const { reportId, agent } = await signedIn();
    let page = await statusPage(agent);
    expect(page.text).toContain('保持匿名，没有留下身份');
    const noName = await agent.post('/followup/consent').type('form').send({ _csrf: csrfTokenFrom(page.text), consent: 'confidential' });
    expect(noName.status).toBe(422);
    expect(noName.text).toContain('href="#field-identity_name"');

    const add = await agent.post('/followup/consent').type('form').send({ _csrf: csrfTokenFrom(page.text), consent: 'confidential', identity_name: '孙七', identity_phone: '13600000000' });
    expect(add.status).toBe(303);
    let row = await t.database.db.selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ identity_present: true, consent_level: 'confidential' });
    expect(await openReportKey(t.database.db, reportId, 'identity', staff(reviewer))).toBeNull();
    const ki = await openReportKey(t.database.db, reportId, 'identity', staff(custodian));
    expect(openJson<IdentityRecord>(ki!, 'identity', reportId, new Uint8Array(row.identity_sealed!))).toEqual({ name: '孙七', phone: '13600000000', consent: 'confidential' });

    page = await statusPage(agent);
    expect(page.text).toContain('已留下身份，要求保密');
    const share = await agent.post('/followup/consent').type('form').send({ _csrf: csrfTokenFrom(page.text), consent: 'share_with_authorities' });
    expect(share.status).toBe(303);
    row = await t.database.db.selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirstOrThrow();
    expect(row.consent_level).toBe('share_with_authorities');
    expect(openJson<IdentityRecord>(ki!, 'identity', reportId, new Uint8Array(row.identity_sealed!))).toMatchObject({ name: '孙七', consent: 'share_with_authorities' });

    page = await statusPage(agent);
    expect(page.text).toContain('这是最高的同意范围');
    const down = await agent.post('/followup/consent').type('form').send({ _csrf: csrfTokenFrom(page.text), consent: 'confidential' });
    expect(down.status).toBe(422);
    expect(down.text).toContain('已作出的同意不能在这里撤回');
    row = await t.database.db.selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirstOrThrow();
    expect(row.consent_level).toBe('share_with_authorities');
    const events = await t.database.db.selectFrom('audit_log').select('details').where('case_id', '=', reportId).where('event', '=', 'report.consent_changed').orderBy('seq').execute();
    expect(events.map((e) => e.details)).toEqual([{ from: 'none', to: 'confidential' }, { from: 'confidential', to: 'share_with_authorities' }]);
  });
});

describe('status and reward', () => {
  it('shows a reward notice with the reviewers\' sealed note', async () => {
    const { reportId, agent } = await signedIn();
    const k = (await openReportKey(t.database.db, reportId, 'report', staff(reviewer)))!;
    await t.database.db.updateTable('reports').set({ reward_eligible: true, reward_note_sealed: sealRewardNote(k, reportId, '请在消息中告知方便的联系时间') }).where('id', '=', reportId).execute();
    const page = await statusPage(agent);
    expect(page.text).toContain('奖励通知');
    expect(page.text).toContain('请在消息中告知方便的联系时间');
  });

  it('describes each status in plain words', async () => {
    const { reportId, agent } = await signedIn();
    await t.database.db.updateTable('reports').set({ status: 'awaiting_reporter' }).where('id', '=', reportId).execute();
    expect((await statusPage(agent)).text).toMatch(/aria-current="step">需要您补充信息/);
    await t.database.db.updateTable('reports').set({ status: 'closed', outcome: 'referred_to_authority' }).where('id', '=', reportId).execute();
    const closed = (await statusPage(agent)).text;
    expect(closed).toMatch(/<li class="done">已移交主管机关/);
    expect(closed).toMatch(/aria-current="step">已办结/);
    expect(closed).toContain('线索已移交国家安全机关或其他主管机关处理');
    expect(timelineOf('referred', null).map((s) => `${s.key}:${s.state}`)).toEqual(['received:done', 'in_review:done', 'referred:current', 'closed:upcoming']);
    expect(timelineOf('new', null).map((s) => s.key)).toEqual(['received', 'in_review', 'closed']);
  });
});

describe('leaving', () => {
  it('logs out: the session row is gone and the page asks for the receipt again', async () => {
    const { agent } = await signedIn();
    const page = await statusPage(agent);
    const out = await agent.post('/followup/logout').type('form').send({ _csrf: csrfTokenFrom(page.text) });
    expect(out.status).toBe(200);
    expect(out.text).toContain('您已退出');
    expect(([] as string[]).concat(out.headers['set-cookie'] ?? []).join()).toMatch(/pg_followup=;/);
    const back = await agent.get('/followup');
    expect(back.text).toContain('name="receipt"');
    const reply = await agent.post('/followup/reply').type('form').send({ _csrf: csrfTokenFrom(back.text), body: 'after logout' });
    expect(reply.status).toBe(401);
  });

  it('expires after 15 idle minutes', async () => {
    const before = await t.database.db.selectFrom('sessions').select('id_hash').where('kind', '=', 'reporter').execute();
    const { agent } = await signedIn();
    // The row does not name the report (its principal is wrapped under the cookie): find it as the new one.
    const mine = (await t.database.db.selectFrom('sessions').select('id_hash').where('kind', '=', 'reporter').execute())
      .filter((r) => !before.some((b) => Buffer.from(b.id_hash).equals(Buffer.from(r.id_hash))));
    expect(mine).toHaveLength(1);
    const idHash = mine[0]!.id_hash;
    await t.database.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 16 * 60_000) }).where('id_hash', '=', idHash).execute();
    const page = await agent.get('/followup');
    expect(page.text).toContain('name="receipt"');
    expect(page.text).not.toContain('action="/followup/reply"');
    const left = await t.database.db.selectFrom('sessions').select('id_hash').where('id_hash', '=', idHash).execute();
    expect(left).toEqual([]);
  });
});

describe('encodings', () => {
  it('refuses multipart bodies on routes that take no files, so CSRF cannot be skipped', async () => {
    const { agent } = await signedIn();
    for (const path of ['/followup/logout', '/followup/reply', '/followup/consent', '/followup', '/report/done']) {
      const res = await agent.post(path).field('body', 'x');
      expect(res.status, path).toBe(403);
    }
    expect((await agent.get('/followup')).text).toContain('action="/followup/reply"'); // still signed in
  });
});
