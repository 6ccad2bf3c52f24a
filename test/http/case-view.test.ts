import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { auditEvents, caseAction, fileReport, pngBytes, signedIn, stagedFile, type Actor } from './case-fixtures.js';

let t: TestApp;
let reviewer: Actor;
let outsider: Actor;
let report: { reportId: string; caseNumber: string };
let imageId: string;
let textId: string;

const HOSTILE = '<script>alert("x")</script>&<img src=x onerror=alert(1)>';

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t);
  const image = await stagedFile(t, '包裹照片.png', await pngBytes(), 'image/png');
  const text = await stagedFile(t, 'notes "evil".txt', new TextEncoder().encode('<html><script>alert(1)</script></html>'), 'text/plain');
  imageId = image.id;
  textId = text.id;
  report = await fileReport(t, {
    description: `${HOSTILE}\n第二行`,
    attachments: [image, text],
    parcel: { waybillNumbers: ['SF1234567890'], courierCompany: HOSTILE, sender: { name: '张三', phone: '13800138000' } },
  });
  // Enrolled after the report was filed: intake sealed nothing to this reviewer.
  outsider = await signedIn(t);
});
afterAll(async () => {
  await t.close();
});

describe('case page', () => {
  it('shows the decrypted report, escaped, and records the view', async () => {
    const res = await reviewer.agent.get(`/staff/cases/${report.caseNumber}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(report.caseNumber);
    expect(res.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(res.text).not.toContain(HOSTILE);
    expect(res.text).toContain('SF1234567890');
    expect(res.text).toContain('张三');
    expect(res.text).toContain(`/staff/cases/${report.caseNumber}/files/${imageId}`);
    expect(res.text).not.toMatch(/\sstyle="/);
    expect(res.text).not.toMatch(/<script/i);
    expect(res.text).not.toMatch(/cases\.|review\.|referral\.|custody\./); // no untranslated keys
    const events = await auditEvents(t, report.reportId);
    expect(events.some((e) => e.event === 'case.viewed' && e.actor_id === reviewer.staff.id)).toBe(true);
  });

  it('is fully translated in English too', async () => {
    for (const path of [`/staff/cases/${report.caseNumber}`, '/staff?status=all', `/staff/cases/${report.caseNumber}/referrals/new`]) {
      const res = await reviewer.agent.get(path).set('Accept-Language', 'en');
      expect(res.status).toBe(200);
      expect(res.text).toContain('<html lang="en">');
      expect(res.text).not.toMatch(/\b(cases|review|referral|custody|intake|taxonomy)\.[a-z]/);
    }
  });

  it('is the same 404 for a reviewer without a grant as for a case that does not exist', async () => {
    const denied = await outsider.agent.get(`/staff/cases/${report.caseNumber}`);
    const missing = await outsider.agent.get('/staff/cases/PG-0000-0000');
    expect(denied.status).toBe(404);
    expect(missing.status).toBe(404);
    // Only the language switch echoes the requested path; otherwise the two pages are identical.
    const strip = (html: string, n: string) => html.replace(/name="_csrf" value="[^"]+"/g, '').replace(`next=%2Fstaff%2Fcases%2F${n}`, '');
    expect(strip(denied.text, report.caseNumber)).toBe(strip(missing.text, 'PG-0000-0000'));
    expect(strip(denied.text, report.caseNumber)).not.toContain(report.caseNumber);
  });

  it('never lists the case in the outsider queue', async () => {
    const res = await outsider.agent.get('/staff?status=all');
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(report.caseNumber);
    const mine = await reviewer.agent.get('/staff?status=all');
    expect(mine.text).toContain(report.caseNumber);
  });

  it('has a timeline of actions from the audit log, with plain views summarised', async () => {
    const res = await reviewer.agent.get(`/staff/cases/${report.caseNumber}`);
    const timeline = res.text.slice(res.text.indexOf('id="timeline"'));
    expect(timeline).toContain('提交举报');
    expect(timeline).toMatch(/线索及其附件共被查看 \d+ 次/);
    expect(timeline).toContain(`最近一次：${reviewer.staff.username}`);
    expect(timeline).not.toContain('查看线索</li>');
  });

  it('marks the reporter messages as read once shown', async () => {
    await t.database.db
      .insertInto('messages')
      .values({ id: crypto.randomUUID(), report_id: report.reportId, author_kind: 'reporter', system_code: 'ack' })
      .execute();
    await reviewer.agent.get(`/staff/cases/${report.caseNumber}`);
    const unread = await t.database.db.selectFrom('messages').select('id').where('report_id', '=', report.reportId).where('author_kind', '=', 'reporter').where('read_by_staff_at', 'is', null).execute();
    expect(unread).toEqual([]);
  });
});

describe('attachments', () => {
  it('serves an image inline, decrypted, with nosniff, a sandbox CSP and no caching', async () => {
    const res = await reviewer.agent.get(`/staff/cases/${report.caseNumber}/files/${imageId}`).buffer(true);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-disposition']).toMatch(/^inline; filename="[^"]*"; filename\*=UTF-8''%E5%8C%85/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Buffer.from(res.body as Buffer).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const events = await auditEvents(t, report.reportId);
    expect(events.some((e) => e.event === 'case.attachment_viewed' && e.subject_id === imageId)).toBe(true);
  });

  it('serves anything else as an opaque download, whatever the file says it is', async () => {
    const res = await reviewer.agent.get(`/staff/cases/${report.caseNumber}/files/${textId}`).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="notes_evil_.txt"; filename\*=UTF-8''notes%20%22evil%22.txt$/);
    expect((res.body as Buffer).toString()).toBe('<html><script>alert(1)</script></html>');
  });

  it('forces a download of an image on request', async () => {
    const res = await reviewer.agent.get(`/staff/cases/${report.caseNumber}/files/${imageId}?download=1`);
    expect(res.headers['content-disposition']).toMatch(/^attachment;/);
    expect(res.headers['content-type']).toBe('application/octet-stream');
  });

  it('is a 404 without a grant, for another case\'s file, and for junk ids', async () => {
    const other = await fileReport(t);
    for (const path of [
      `/staff/cases/${report.caseNumber}/files/${imageId}`,
      `/staff/cases/${report.caseNumber}/files/not-a-uuid`,
    ]) {
      expect((await outsider.agent.get(path)).status).toBe(404);
    }
    expect((await reviewer.agent.get(`/staff/cases/${other.caseNumber}/files/${imageId}`)).status).toBe(404);
    expect((await reviewer.agent.get(`/staff/cases/${report.caseNumber}/files/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await request(t.staffApp).get(`/staff/cases/${report.caseNumber}/files/${imageId}`)).status).toBe(303);
  });
});

describe('the Deadlines block', () => {
  const deadlines = async (caseNumber: string, lang = 'zh-CN') => {
    const page = await reviewer.agent.get(`/staff/cases/${caseNumber}`).set('Accept-Language', lang);
    expect(page.status).toBe(200);
    return page.text.slice(page.text.indexOf('id="deadlines"'), page.text.indexOf('</section>', page.text.indexOf('id="deadlines"')));
  };
  const setReport = (id: string, change: Record<string, Date | null>) => t.database.db.updateTable('reports').set(change).where('id', '=', id).execute();

  it('shows a running clock due soon, then overdue, with its due time', async () => {
    // created_at is bound to the sealed payload, so the clocks are moved through their other ends.
    const r = await fileReport(t, { immediateDanger: true });
    let block = await deadlines(r.caseNumber);
    expect(block).toMatch(/class="clock clock-ok" data-clock="triage"[\s\S]*进行中/);
    expect(block).toContain('研判（紧急线索）');
    expect((await caseAction(reviewer.agent, r.caseNumber, 'acknowledge')).status).toBe(303);
    await setReport(r.reportId, { acknowledged_at: new Date(Date.now() - (6 * 24 + 12) * 3600_000) });
    block = await deadlines(r.caseNumber);
    expect(block).toMatch(/class="clock clock-due_soon" data-clock="first_feedback"[\s\S]*即将到期/);
    await setReport(r.reportId, { acknowledged_at: new Date(Date.now() - 8 * 24 * 3600_000) });
    block = await deadlines(r.caseNumber);
    expect(block).toMatch(/class="clock clock-overdue" data-clock="first_feedback"[\s\S]*已超时/);
  });

  it('keeps met clocks as met once stopped, and starts the next one', async () => {
    const r = await fileReport(t, {});
    expect((await caseAction(reviewer.agent, r.caseNumber, 'acknowledge')).status).toBe(303);
    let block = await deadlines(r.caseNumber);
    expect(block).toMatch(/class="clock clock-met" data-clock="ack"/);
    expect(block).toMatch(/class="clock clock-ok" data-clock="first_feedback"/);
    expect((await caseAction(reviewer.agent, r.caseNumber, 'messages', { body: '已收到，我们正在核实。' })).status).toBe(303);
    block = await deadlines(r.caseNumber);
    expect(block).toMatch(/class="clock clock-met" data-clock="first_feedback"/);
    expect(block).toMatch(/class="clock clock-ok" data-clock="feedback"/);
    const stored = await t.database.db.selectFrom('reports').select(['last_feedback_at', 'first_feedback_at']).where('id', '=', r.reportId).executeTakeFirstOrThrow();
    expect(stored.last_feedback_at).not.toBeNull();
    const english = await deadlines(r.caseNumber, 'en');
    expect(english).toMatch(/Acknowledgement<\/th>[\s\S]*Met/);
  });

  it('marks a clock stopped after its due time as late', async () => {
    const r = await fileReport(t, {});
    await setReport(r.reportId, { triage_due_at: new Date(Date.now() - 6 * 3600_000) });
    expect((await caseAction(reviewer.agent, r.caseNumber, 'acknowledge')).status).toBe(303);
    expect(await deadlines(r.caseNumber)).toMatch(/class="clock clock-late" data-clock="ack"[\s\S]*逾期完成/);
  });
});
