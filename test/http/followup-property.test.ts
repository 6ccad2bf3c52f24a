/**
 * Random and hostile input at the follow-up endpoints, signed in and not: never a 5xx; a rejected
 * reply comes back with its text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createTestReviewer, followupLogin, submitTestReport } from '../helpers/reports.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await createTestReviewer(t); // a report is refused when nobody could read it
});
afterAll(async () => {
  await t.close();
});

const HOSTILE = ['<script>alert(1)</script>', "'; delete from sessions; --", '\u0000\u001b', '1234-5678-9012-345６', '１２３４５６７８９０１２３４５６', '0'.repeat(16), ' '.repeat(40), '𠜎🧨'];
/** Lone surrogates cannot survive UTF-8; replace them as a browser would (String#toWellFormed is ES2024). */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
const text = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: 'binary', maxLength: 40 }).map(wellFormed),
  fc.stringMatching(/^[0-9 -]{10,30}$/),
  fc.tuple(fc.constantFrom('回', 'x', '\n', '<'), fc.integer({ min: 100, max: 12_000 })).map(([c, n]) => c.repeat(n)),
);
const value = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.array(text, { maxLength: 3 }) });
const fields = fc.record({ receipt: value, body: value, note: value, consent: value, identity_name: value, identity_id_number: value, other: value }, { requiredKeys: [] });
const path = fc.constantFrom('/followup', '/followup/reply', '/followup/consent', '/followup/files', '/followup/logout');

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/`/g, '&#x60;').replace(/=/g, '&#x3D;');

describe('POST /followup* with random and hostile input', () => {
  it('never answers 5xx, signed in or not, and keeps a rejected reply', async () => {
    const { receipt } = await submitTestReport(t);
    await fc.assert(
      fc.asyncProperty(path, fields, fc.boolean(), fc.boolean(), async (target, form, signIn, multipart) => {
        await t.database.db.deleteFrom('rate_limits').execute();
        const agent = request.agent(t.publicApp);
        if (signIn) expect((await followupLogin(agent, receipt!)).status).toBe(303);
        const token = csrfTokenFrom((await agent.get('/followup')).text);
        let res;
        if (multipart) {
          let req = agent.post(target).field('_csrf', token);
          for (const [name, v] of Object.entries(form)) for (const one of Array.isArray(v) ? v : [v]) req = req.field(name, one);
          res = await req;
        } else {
          res = await agent.post(target).type('form').send({ _csrf: token, ...form });
        }
        expect(res.status).toBeLessThan(500);
        expect(res.text).not.toContain('<script>alert(1)</script>');
        if (signIn && target === '/followup/reply' && res.status === 422 && !multipart) {
          const body = Array.isArray(form.body) ? (form.body[0] ?? '') : (form.body ?? '');
          expect(res.text).toContain(escapeHtml(body));
        }
      }),
      { numRuns: 40 },
    );
    expect(t.logs.join('')).not.toContain('"level":50');
  });
});
