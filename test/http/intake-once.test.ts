import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createTestReviewer, followReceiptRedirect, hiddenFields, postReportForm, receiptFrom } from '../helpers/reports.js';
import { hashToken, toHex } from '../../server/core/crypto/index.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await createTestReviewer(t, { custodian: true });
});
afterAll(async () => {
  await t.close();
});

const reportCount = async () => Number((await t.database.db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

/** The review page of a fresh form, and a function that posts its "send" button (as often as asked). */
async function reviewed(agent: TestAgent, description: string) {
  const form = await agent.get('/report');
  const token = /name="submission_token" value="([A-Za-z0-9_-]{43})"/.exec(form.text)?.[1];
  expect(token).toBeDefined();
  const review = await postReportForm(agent, '/report', csrfTokenFrom(form.text), {
    submission_token: token!, categories: 'drugs', description, action: 'review',
  });
  expect(review.status).toBe(200);
  const hidden = hiddenFields(review.text).filter(([n]) => n !== '_csrf');
  expect(hidden).toContainEqual(['submission_token', token]);
  const send = () => {
    let req = agent.post('/report').field('_csrf', csrfTokenFrom(review.text));
    for (const [n, v] of hidden) req = req.field(n, v);
    return req.field('action', 'send');
  };
  return { token: token!, review, send };
}

describe('one-time submission token', () => {
  it('files one report when the same review is confirmed twice; the second says "already sent"', async () => {
    const agent = request.agent(t.publicApp);
    const { send } = await reviewed(agent, '同一份线索确认了两次');
    const before = await reportCount();
    const first = await send();
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/report/receipt');
    expect(await reportCount()).toBe(before + 1);

    const second = await send();
    expect(second.status).toBe(409);
    expect(second.text).toContain('这份线索已经提交过了');
    expect(receiptFrom(second.text)).toBeNull();
    expect(await reportCount()).toBe(before + 1);

    const english = await send().set('Accept-Language', 'en');
    expect(english.status).toBe(409);
    expect(english.text).toContain('This report has already been sent');
    expect(await reportCount()).toBe(before + 1);
  });

  it('files one report when two confirmations race each other', async () => {
    const agent = request.agent(t.publicApp);
    const { send } = await reviewed(agent, '双击了提交按钮');
    const before = await reportCount();
    const answers = await Promise.all([send(), send(), send()]);
    expect(answers.map((a) => a.status).sort()).toEqual([303, 409, 409]);
    expect(await reportCount()).toBe(before + 1);
  });

  it('keeps the token through "edit" and a repeated review, so re-posting the review cannot file twice', async () => {
    const agent = request.agent(t.publicApp);
    const { token, review, send } = await reviewed(agent, '返回后重新提交了检查页');
    expect((await send()).status).toBe(303);
    const hidden = hiddenFields(review.text).filter(([n]) => n !== '_csrf');
    // The browser's "confirm resubmission" of the review page itself, then its send button again.
    let again = agent.post('/report').field('_csrf', csrfTokenFrom(review.text));
    for (const [n, v] of hidden) again = again.field(n, v);
    const reReview = await again.field('action', 'edit');
    expect(reReview.text).toContain(`name="submission_token" value="${token}"`);
    const before = await reportCount();
    const resend = await postReportForm(agent, '/report', csrfTokenFrom(reReview.text), { submission_token: token, categories: 'drugs', description: '返回后重新提交了检查页', action: 'send' });
    expect(resend.status).toBe(409);
    expect(await reportCount()).toBe(before);
  });

  it('stores only the SHA-256 of a spent token, with no pointer to the report', async () => {
    const agent = request.agent(t.publicApp);
    const { token, send } = await reviewed(agent, '只保存令牌的哈希');
    expect((await send()).status).toBe(303);
    const rows = await t.database.db.selectFrom('used_submission_tokens').selectAll().execute();
    expect(rows.map((r) => toHex(new Uint8Array(r.token_hash)))).toContain(toHex(hashToken(token)));
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(['token_hash', 'used_on']);
    for (const row of rows) expect(JSON.stringify(row)).not.toContain(token);
  });
});

describe('the receipt page, shown once', () => {
  it('shows the receipt by GET once, then a friendly page; never in a URL, header or cache', async () => {
    const agent = request.agent(t.publicApp);
    const { send } = await reviewed(agent, '回执码只显示一次');
    const sent = await send();
    const cookie = String(sent.headers['set-cookie']);
    expect(cookie).toMatch(/pg_receipt=[A-Za-z0-9_-]+;.*HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await followReceiptRedirect(agent, sent);
    const receipt = receiptFrom(page.text);
    expect(receipt).toMatch(/^\d{16}$/);
    expect(page.headers['cache-control']).toBe('no-store');
    for (const headers of [sent.headers, page.headers]) expect(JSON.stringify(headers)).not.toContain(receipt!);
    expect(String(page.headers['set-cookie'])).toMatch(/pg_receipt=;/); // cleared by the page that shows it

    const back = await agent.get('/report/receipt');
    expect(back.status).toBe(200);
    expect(back.headers['cache-control']).toBe('no-store');
    expect(receiptFrom(back.text)).toBeNull();
    expect(back.text).toContain('回执码只显示一次');
    expect(back.text).not.toContain(receipt!);
  });

  it('shows the friendly page for a forged or replayed cookie', async () => {
    const agent = request.agent(t.publicApp);
    const { send } = await reviewed(agent, '伪造的回执 Cookie');
    const sent = await send();
    const value = /pg_receipt=([A-Za-z0-9_-]+)/.exec(String(sent.headers['set-cookie']))![1]!;
    const forged = value.slice(0, -2) + (value.endsWith('AA') ? 'BB' : 'AA');
    const res = await request(t.publicApp).get('/report/receipt').set('Cookie', `pg_receipt=${forged}`);
    expect(receiptFrom(res.text)).toBeNull();
    expect(res.text).toContain('回执码只显示一次');
    const english = await request(t.publicApp).get('/report/receipt').set('Accept-Language', 'en');
    expect(english.text).toContain('The receipt is shown only once');
  });
});
