import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { decodeEntities } from '../helpers/reports.js';
import { emptyReportValues, reportFormSchema, intakeIssues, splitWaybills, type ReportFormValues } from '../../server/core/intake/schema.js';
import { replySchema } from '../../server/core/followup/schema.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** Every textarea and text-like input of a page's forms, with its maxlength (null when absent). */
function textFields(html: string): { name: string; maxlength: number | null; tag: string }[] {
  const fields: { name: string; maxlength: number | null; tag: string }[] = [];
  for (const m of html.matchAll(/<(textarea|input)\b([^>]*)>/g)) {
    const attrs = m[2]!;
    const type = /\stype="([^"]+)"/.exec(attrs)?.[1] ?? 'text';
    if (m[1] === 'input' && !['text', 'tel', 'email', 'search', 'url'].includes(type)) continue;
    const name = /\sname="([^"]+)"/.exec(attrs)![1]!;
    const max = /\smaxlength="(\d+)"/.exec(attrs)?.[1];
    fields.push({ name, maxlength: max ? Number(max) : null, tag: m[0] });
  }
  return fields;
}

/** A value of `length` characters the field's format would otherwise accept. */
function filler(name: string, length: number): string {
  if (/phone|id_number/.test(name)) return '1'.repeat(length);
  return '字'.repeat(length);
}

/** Whether zod calls the value too long for this field (the only limit a maxlength mirrors). */
function tooLong(name: string, value: string): boolean {
  const values: ReportFormValues = { ...emptyReportValues(), categories: ['other'], description: 'x', identity_choice: 'confidential', identity_name: '张三', [name]: value };
  const parsed = reportFormSchema.safeParse(values);
  return !parsed.success && intakeIssues(parsed.error).some((e) => e.field === name && e.messageKey === 'intake.errors.too_long');
}

describe('/report states every limit before sending', () => {
  it('gives every textarea and text input a maxlength equal to the server-side (zod) limit', async () => {
    const res = await request(t.publicApp).get('/report');
    const fields = textFields(res.text).filter((f) => f.name !== 'website'); // the honeypot, hidden from people
    expect(fields.map((f) => f.name)).toEqual(expect.arrayContaining(['description', 'waybill_numbers', 'sender_phone', 'identity_id_number', 'identity_contact']));
    expect(fields.length).toBeGreaterThanOrEqual(17);
    for (const field of fields) {
      expect(field.maxlength, field.tag).not.toBeNull();
      expect(tooLong(field.name, filler(field.name, field.maxlength!)), `${field.name} at its maxlength`).toBe(false);
      expect(tooLong(field.name, filler(field.name, field.maxlength! + 1)), `${field.name} one over`).toBe(true);
    }
  });

  it('does the same on the quick tip, whose sentence and waybill numbers are the same fields', async () => {
    const res = await request(t.publicApp).get('/report/quick');
    const fields = textFields(res.text).filter((f) => f.name !== 'website');
    expect(fields.map((f) => f.name).sort()).toEqual(['description', 'waybill_numbers']);
    for (const field of fields) {
      expect(field.maxlength, field.tag).not.toBeNull();
      expect(tooLong(field.name, filler(field.name, field.maxlength!)), `${field.name} at its maxlength`).toBe(false);
      expect(tooLong(field.name, filler(field.name, field.maxlength! + 1)), `${field.name} one over`).toBe(true);
    }
    const input = /<input type="file"[^>]*>/.exec(res.text)![0];
    expect(input).toContain(`data-max-file-bytes="${25 * 1024 * 1024}"`);
    expect(input).toMatch(/data-max-files="1"/);
    expect(res.text).toContain('<script src="/static/js/file-check.js" defer></script>');
  });

  it('shows the ID number format (18 characters, pattern) and the waybill separators', async () => {
    for (const [lang, words] of [['zh-CN', ['18 位', '空格']], ['en', ['18 characters', 'spaces']]] as const) {
      const res = await request(t.publicApp).get('/report').set('Accept-Language', lang);
      const id = textFields(res.text).find((f) => f.name === 'identity_id_number')!;
      expect(id.tag).toContain('pattern="[0-9]{17}[0-9Xx]"');
      expect(id.maxlength).toBe(18);
      for (const w of words) expect(decodeEntities(res.text)).toContain(w);
    }
  });

  it('states file limits on the file input for the checking script, which is a file (CSP: no inline script)', async () => {
    const res = await request(t.publicApp).get('/report');
    const input = /<input type="file"[^>]*>/.exec(res.text)![0];
    expect(input).toContain(`data-max-file-bytes="${25 * 1024 * 1024}"`);
    expect(input).toMatch(/data-max-files="10"/);
    expect(decodeEntities(input)).toContain('{name}：文件超过 25 MB');
    expect(res.text).toContain('<script src="/static/js/file-check.js" defer></script>');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = await request(t.publicApp).get('/static/js/file-check.js');
    expect(script.status).toBe(200);
    expect(script.text).toContain('data-max-file-bytes');
  });

  it('splits waybill numbers separated by spaces (ASCII and full-width)', () => {
    const parsed = reportFormSchema.parse({ ...emptyReportValues(), categories: ['other'], description: 'x', waybill_numbers: 'SF1234567890 YT9876543210\u3000JD0001112223' });
    expect(parsed.waybill_numbers).toEqual(['SF1234567890', 'YT9876543210', 'JD0001112223']);
    // A number written in groups stays one number.
    expect(splitWaybills('SF 1234 5678\nYT 9876')).toEqual(['SF 1234 5678', 'YT 9876']);
  });

  it('mirrors the reply limit on the follow-up reply box', () => {
    expect(replySchema.safeParse({ body: '字'.repeat(10_000) }).success).toBe(true);
    expect(replySchema.safeParse({ body: '字'.repeat(10_001) }).success).toBe(false);
  });
});
