import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady } from '../../server/core/crypto/index.js';
import { intakeIssues, identityFrom, parcelFrom, readReportValues, reportFormSchema, type ReportFormValues } from '../../server/core/intake/schema.js';
import { groupReceipt, hiddenFieldsOf, reviewContext } from '../../server/public/intake/view.js';
import { emptyReportValues } from '../../server/core/intake/schema.js';
import { cleanFileName } from '../../server/core/reports/attachments.js';
import { newCaseNumber } from '../../server/core/reports/service.js';
import type { FieldMap } from '../../server/core/fields.js';

beforeAll(() => cryptoReady());

const values = (over: Partial<ReportFormValues> = {}): ReportFormValues => ({ ...emptyReportValues(), categories: ['other'], description: '看到了可疑包裹', ...over });

function parse(over: Partial<ReportFormValues> = {}) {
  return reportFormSchema.safeParse(values(over));
}

function codes(over: Partial<ReportFormValues>): string[] {
  const result = parse(over);
  return result.success ? [] : intakeIssues(result.error).map((e) => `${e.field}:${e.messageKey.replace('intake.errors.', '')}`);
}

describe('reading the form', () => {
  it('takes the first of repeated scalars and every category', () => {
    const fields: FieldMap = { description: ['first', 'second'], categories: ['drugs', 'tobacco'], province: [] };
    const read = readReportValues(fields);
    expect(read.description).toBe('first');
    expect(read.categories).toEqual(['drugs', 'tobacco']);
    expect(read.province).toBe('');
    expect(read.identity_name).toBe('');
  });

  it('round-trips through the review page\'s hidden fields unchanged', () => {
    const typed = values({ description: '第一行\n  第二行\r\n', waybill_numbers: 'A1\nB2', categories: ['drugs', 'wildlife'], identity_name: '  张三 ' });
    const fields: FieldMap = {};
    for (const { name, value } of hiddenFieldsOf(typed)) (fields[name] ??= []).push(value);
    expect(readReportValues(fields)).toEqual({ ...typed, website: '' });
  });
});

describe('reportFormSchema', () => {
  it('accepts a minimal report and defaults to no danger and anonymity', () => {
    const result = parse({ immediate_danger: '', identity_choice: '' });
    expect(result.success).toBe(true);
    if (!result.success) return;
    expect(result.data.immediate_danger).toBe(false);
    expect(result.data.identity_choice).toBe('anonymous');
    expect(parcelFrom(result.data)).toEqual({ waybillNumbers: [] });
    expect(identityFrom(result.data)).toBeNull();
  });

  it('requires a description and at least one known category', () => {
    expect(codes({ description: ' \n ' })).toEqual(['description:description_required']);
    expect(codes({ categories: [] })).toEqual(['categories:categories_required']);
    expect(codes({ categories: ['drugs', 'made_up'] })).toEqual(['categories:choice_invalid']);
    expect(codes({ description: 'x'.repeat(20_001) })).toEqual(['description:too_long']);
  });

  it('splits waybill numbers on new lines and commas, with limits', () => {
    const result = parse({ waybill_numbers: 'SF1234567890\r\nYT 9876，JD000111;  \n\n' });
    expect(result.success && result.data.waybill_numbers).toEqual(['SF1234567890', 'YT 9876', 'JD000111']);
    expect(codes({ waybill_numbers: Array.from({ length: 21 }, (_, i) => `W${i}`).join('\n') })).toEqual(['waybill_numbers:waybills_too_many']);
    expect(codes({ waybill_numbers: 'W'.repeat(41) })).toEqual(['waybill_numbers:waybill_too_long']);
  });

  it('checks choices, phone numbers, dates and ID numbers', () => {
    expect(codes({ province: 'XX', direction: 'sideways', noticed_how: 'dream', parcel_location: 'moon' })).toEqual([
      'province:choice_invalid', 'direction:choice_invalid', 'noticed_how:choice_invalid', 'parcel_location:choice_invalid',
    ]);
    expect(codes({ sender_phone: '+86 (139) 0000-1111', recipient_phone: '１３９００００１１１１' })).toEqual([]);
    expect(codes({ sender_phone: 'call me' })).toEqual(['sender_phone:phone_invalid']);
    expect(codes({ observed_at: '2026-11-23T14:30' })).toEqual([]);
    expect(codes({ observed_at: 'last week' })).toEqual(['observed_at:datetime_invalid']);
    expect(codes({ identity_choice: 'confidential', identity_name: '张三', identity_id_number: '12345' })).toEqual(['identity_id_number:id_number_invalid']);
    expect(codes({ immediate_danger: 'maybe' })).toEqual(['immediate_danger:choice_invalid']);
    expect(codes({ website: 'http://x' })).toEqual(['website:honeypot']);
  });

  it('keeps identity only for a non-anonymous choice with a name', () => {
    const anonymous = parse({ identity_choice: 'anonymous', identity_name: '李四', identity_phone: '13800000000' });
    expect(anonymous.success && identityFrom(anonymous.data)).toBeNull();
    expect(codes({ identity_choice: 'share_with_authorities' })).toEqual(['identity_name:identity_name_required']);
    const shared = parse({ identity_choice: 'share_with_authorities', identity_name: ' 李四 ', identity_id_number: '11010519491231002x' });
    expect(shared.success && identityFrom(shared.data)).toEqual({ name: '李四', idNumber: '11010519491231002X', consent: 'share_with_authorities' });
  });

  it('builds parcel details with sender and recipient only when given', () => {
    const result = parse({ sender_name: '王', recipient_address: '某市某路 1 号', direction: 'domestic', courier_company: '  ' });
    expect(result.success && parcelFrom(result.data)).toEqual({
      waybillNumbers: [],
      direction: 'domestic',
      sender: { name: '王' },
      recipient: { address: '某市某路 1 号' },
    });
  });
});

describe('view helpers', () => {
  it('groups a receipt in fours', () => {
    expect(groupReceipt('1234567890123456')).toEqual(['1234', '5678', '9012', '3456']);
  });

  it('summarises a valid report for review, leaving out empty answers', () => {
    const result = parse({ province: 'GD', noticed_how: 'sorting', waybill_numbers: 'A123456\nB123456' });
    if (!result.success) throw new Error('invalid');
    const review = reviewContext(result.data);
    expect(review.details).toEqual([
      { labelKey: 'intake.fields.waybillNumbers', value: 'A123456\nB123456' },
      { labelKey: 'intake.fields.province', valueKey: 'intake.provinces.GD' },
      { labelKey: 'intake.fields.noticedHow', valueKey: 'intake.noticedHow.sorting' },
    ]);
    expect(review.identity).toBeNull();
  });

  it('keeps a file\'s own name minus any path and control characters', () => {
    expect(cleanFileName('C:\\Users\\me\\照片 1.jpg')).toBe('照片 1.jpg');
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('a\u0000b\u202ec.txt')).toBe('abc.txt');
    expect(cleanFileName('   ')).toBe('file');
    expect(cleanFileName('x'.repeat(300) + '.pdf')).toHaveLength(200);
  });

  it('makes random, unambiguous case numbers', () => {
    const numbers = new Set(Array.from({ length: 200 }, newCaseNumber));
    expect(numbers.size).toBe(200);
    for (const n of numbers) expect(n).toMatch(/^PG-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
  });
});
