/**
 * Random and hostile input at POST /report: very long text, binary and control characters, script
 * tags, SQL fragments, arrays where one value is expected, missing and unknown fields, both
 * encodings. Never a 5xx, and whenever the form comes back, what was typed comes back with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { receiptFrom } from '../helpers/reports.js';
import { REPORT_TEXT_FIELDS } from '../../server/core/intake/schema.js';
import { CATEGORY_CODES } from '../../server/core/intake/taxonomy.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'; drop table reports; --",
  "1' or '1'='1",
  '{{constructor.constructor("return process")()}}',
  '\u0000\u0001\u0007\u001b[31m',
  '\u202e\u200b\ufeff',
  '../../etc/passwd',
  '%00%0d%0a',
  '𠜎𠜱𠝹 emoji 🧨📦',
  '\r\n\r\n--boundary--\r\n',
];

/** Strings that survive UTF-8 unchanged (lone surrogates cannot), from short to very long. */
/** Lone surrogates cannot survive UTF-8; replace them as a browser would (String#toWellFormed is ES2024). */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
const text = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: 'binary', maxLength: 60 }).map(wellFormed),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.tuple(fc.constantFrom('长', 'a', '<', '&', '\n', "'"), fc.integer({ min: 1000, max: 25_000 })).map(([c, n]) => c.repeat(n)),
);
const value = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.array(text, { minLength: 0, maxLength: 3 }) });
const categories = fc.oneof(fc.subarray([...CATEGORY_CODES]), fc.array(text, { maxLength: 3 }), text);
const fieldsArb = fc.record(
  {
    ...Object.fromEntries(REPORT_TEXT_FIELDS.map((name) => [name, value])),
    categories,
    action: fc.constantFrom('review', 'send', 'edit', '', 'delete'),
    extra: value,
  },
  { requiredKeys: [] },
) as fc.Arbitrary<Record<string, string | string[]>>;

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/`/g, '&#x60;').replace(/=/g, '&#x3D;');

function toPairs(fields: Record<string, string | string[]>): [string, string][] {
  return Object.entries(fields).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one): [string, string] => [k, one]));
}

function firstValue(v: string | string[] | undefined): string {
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

describe('POST /report with random and hostile input', () => {
  it('never answers 5xx and always returns the typed description', async () => {
    const agent = request.agent(t.publicApp);
    const token = csrfTokenFrom((await agent.get('/report')).text);
    await fc.assert(
      fc.asyncProperty(fieldsArb, fc.boolean(), async (fields, multipart) => {
        await t.database.db.deleteFrom('rate_limits').execute();
        let res;
        if (multipart) {
          let req = agent.post('/report').field('_csrf', token);
          for (const [name, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) req = req.field(name, one);
          res = await req;
        } else {
          res = await agent.post('/report').type('form').send({ _csrf: token, ...fields });
        }
        expect(res.status).toBeLessThan(500);
        if (!multipart && new URLSearchParams(toPairs(fields)).toString().length > t.config.bodyLimitBytes - 200) {
          // The form itself always posts multipart; an urlencoded body past BODY_LIMIT_KB is refused whole.
          expect([413, 422, 200]).toContain(res.status);
          return;
        }
        if (receiptFrom(res.text)) return; // a valid report was sent: the receipt page does not repeat it
        expect([200, 422, 429]).toContain(res.status);
        expect(res.text).toContain(escapeHtml(firstValue(fields.description)));
        expect(res.text).not.toContain('<script>alert(1)</script>');
        expect(res.text).not.toContain('<img src=x');
      }),
      { numRuns: 40 },
    );
    expect(t.logs.join('')).not.toContain('"level":50'); // no unexpected error was logged
  });
});
