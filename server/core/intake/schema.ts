/**
 * The public report form: field names, limits and the one zod schema that validates it.
 * Messages are i18n codes (`intake.errors.<code>`), translated when the form is re-rendered.
 * The parcel, description, category and identity parts are exported for the employee tip form.
 */
import { z } from 'zod';
import { CATEGORY_CODES } from './taxonomy.js';
import { NOTICED_HOW, PARCEL_DIRECTIONS, PARCEL_LOCATIONS, PROVINCE_CODES, type IdentityRecord, type ParcelDetails } from '../reports/model.js';
import { all, first, type FieldMap } from '../fields.js';

export const FIELD_LIMITS = Object.freeze({
  description: 20_000,
  short: 200,
  address: 500,
  waybillList: 2_000,
  waybill: 40,
  waybillCount: 20,
  phone: 40,
  name: 100,
  /** Resident identity card number: 17 digits and a check character (digit or X). */
  idNumber: 18,
  /** Bytes accepted per multipart text field (UTF-8 of 20 000 CJK characters, with room). */
  fieldBytes: 128 * 1024,
});

/**
 * The `maxlength` each free-text input of the form carries: the same numbers the schema below
 * enforces (test/http/form-limits.test.ts checks one against the other).
 */
export const REPORT_FIELD_MAXLENGTH = Object.freeze({
  description: FIELD_LIMITS.description,
  waybill_numbers: FIELD_LIMITS.waybillList,
  courier_company: FIELD_LIMITS.short,
  outlet: FIELD_LIMITS.short,
  declared_contents: FIELD_LIMITS.short,
  suspected_contents: FIELD_LIMITS.short,
  sender_name: FIELD_LIMITS.short,
  sender_phone: FIELD_LIMITS.phone,
  sender_address: FIELD_LIMITS.address,
  recipient_name: FIELD_LIMITS.short,
  recipient_phone: FIELD_LIMITS.phone,
  recipient_address: FIELD_LIMITS.address,
  destination: FIELD_LIMITS.short,
  observed_place: FIELD_LIMITS.short,
  identity_name: FIELD_LIMITS.name,
  identity_phone: FIELD_LIMITS.phone,
  identity_id_number: FIELD_LIMITS.idNumber,
  identity_contact: FIELD_LIMITS.short,
});

/** Every text field of the form; the raw values come back into the form unchanged on rejection. */
export const REPORT_TEXT_FIELDS = [
  'description', 'immediate_danger', 'province', 'waybill_numbers', 'courier_company', 'outlet', 'direction', 'noticed_how',
  'declared_contents', 'suspected_contents', 'parcel_location', 'sender_name', 'sender_phone', 'sender_address',
  'recipient_name', 'recipient_phone', 'recipient_address', 'destination', 'observed_at', 'observed_place',
  'identity_choice', 'identity_name', 'identity_phone', 'identity_id_number', 'identity_contact', 'website',
] as const;
export type ReportTextField = (typeof REPORT_TEXT_FIELDS)[number];
export type ReportFormValues = Record<ReportTextField, string> & { categories: string[] };

/** A blank form: nothing ticked, not immediate danger, anonymous. */
export function emptyReportValues(): ReportFormValues {
  const values = Object.fromEntries(REPORT_TEXT_FIELDS.map((name) => [name, ''])) as Record<(typeof REPORT_TEXT_FIELDS)[number], string>;
  return { ...values, categories: [], immediate_danger: 'no', identity_choice: 'anonymous' };
}

export function readReportValues(fields: FieldMap): ReportFormValues {
  const values = Object.fromEntries(REPORT_TEXT_FIELDS.map((name) => [name, first(fields, name)])) as Record<ReportTextField, string>;
  // The quick tip's category menu sends an empty value for "choose one": that is no category.
  return { ...values, categories: all(fields, 'categories').filter(Boolean) };
}

const text = (max: number) => z.string().trim().max(max, { error: 'too_long' });
const optional = (max: number) => text(max).transform((v) => v || undefined);
const optionalChoice = <T extends readonly [string, ...string[]]>(options: T) =>
  z
    .string()
    .refine((v) => v === '' || (options as readonly string[]).includes(v), { error: 'choice_invalid' })
    .transform((v) => (v === '' ? undefined : (v as T[number])));
const phone = optional(FIELD_LIMITS.phone).refine((v) => v === undefined || /^[0-9０-９+＋()（）\s-]{3,}$/.test(v), { error: 'phone_invalid' });

export const categoriesSchema = z
  .array(z.string())
  .refine((codes) => codes.every((c) => (CATEGORY_CODES as readonly string[]).includes(c)), { error: 'choice_invalid' })
  .transform((codes) => [...new Set(codes)])
  .refine((codes) => codes.length > 0, { error: 'categories_required' });

export const descriptionSchema = text(FIELD_LIMITS.description).min(1, { error: 'description_required' });

/** A piece that is a whole waybill number on its own, not a group of digits ("YT 9876"). */
const WHOLE_WAYBILL = /^(?=.*\d)\S{8,}$/;

/**
 * Waybill numbers are separated by new lines, commas, semicolons or 、 — and by spaces when every
 * space-separated piece is a whole number ("SF1234567890 YT9876543210" is two numbers, while
 * "SF 1234 5678" is one number written in groups).
 */
export function splitWaybills(value: string): string[] {
  return value
    .split(/[\n\r,，;；、]+/)
    .map((piece) => piece.trim())
    .filter(Boolean)
    .flatMap((piece) => {
      const parts = piece.split(/\s+/);
      return parts.length > 1 && parts.every((p) => WHOLE_WAYBILL.test(p)) ? parts : [piece];
    });
}

const waybills = text(FIELD_LIMITS.waybillList)
  .transform(splitWaybills)
  .refine((list) => list.length <= FIELD_LIMITS.waybillCount, { error: 'waybills_too_many' })
  .refine((list) => list.every((w) => w.length <= FIELD_LIMITS.waybill), { error: 'waybill_too_long' });

/** The parcel section (DESIGN §7); every field optional. */
export const parcelShape = {
  waybill_numbers: waybills,
  courier_company: optional(FIELD_LIMITS.short),
  outlet: optional(FIELD_LIMITS.short),
  direction: optionalChoice(PARCEL_DIRECTIONS),
  noticed_how: optionalChoice(NOTICED_HOW),
  declared_contents: optional(FIELD_LIMITS.short),
  suspected_contents: optional(FIELD_LIMITS.short),
  parcel_location: optionalChoice(PARCEL_LOCATIONS),
  sender_name: optional(FIELD_LIMITS.short),
  sender_phone: phone,
  sender_address: optional(FIELD_LIMITS.address),
  recipient_name: optional(FIELD_LIMITS.short),
  recipient_phone: phone,
  recipient_address: optional(FIELD_LIMITS.address),
  destination: optional(FIELD_LIMITS.short),
  observed_at: optional(20).refine((v) => v === undefined || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v), { error: 'datetime_invalid' }),
  observed_place: optional(FIELD_LIMITS.short),
};

export const IDENTITY_CHOICES = ['anonymous', 'confidential', 'share_with_authorities'] as const;

/** The identity section: fields only count when a non-anonymous choice is made. */
export const identityShape = {
  identity_choice: optionalChoice(IDENTITY_CHOICES).transform((v) => v ?? 'anonymous'),
  identity_name: optional(FIELD_LIMITS.name),
  identity_phone: phone,
  identity_id_number: optional(FIELD_LIMITS.idNumber).refine((v) => v === undefined || /^\d{17}[\dXx]$/.test(v), { error: 'id_number_invalid' }),
  identity_contact: optional(FIELD_LIMITS.short),
};

export const reportFormSchema = z
  .object({
    categories: categoriesSchema,
    description: descriptionSchema,
    immediate_danger: z.enum(['yes', 'no', ''], { error: 'choice_invalid' }).transform((v) => v === 'yes'),
    province: optionalChoice(PROVINCE_CODES),
    ...parcelShape,
    ...identityShape,
    // The honeypot: hidden from people, filled in by naive bots.
    website: z.string().max(0, { error: 'honeypot' }),
  })
  .superRefine((v, ctx) => {
    if (v.identity_choice !== 'anonymous' && !v.identity_name) ctx.addIssue({ code: 'custom', path: ['identity_name'], message: 'identity_name_required' });
  });

export type ValidReportForm = z.output<typeof reportFormSchema>;

export function parcelFrom(v: z.output<z.ZodObject<typeof parcelShape>>): ParcelDetails {
  const party = (name?: string, phoneNumber?: string, address?: string) =>
    name || phoneNumber || address ? strip({ name, phone: phoneNumber, address }) : undefined;
  return strip({
    waybillNumbers: v.waybill_numbers,
    courierCompany: v.courier_company,
    outlet: v.outlet,
    direction: v.direction,
    noticedHow: v.noticed_how,
    declaredContents: v.declared_contents,
    suspectedContents: v.suspected_contents,
    parcelLocation: v.parcel_location,
    sender: party(v.sender_name, v.sender_phone, v.sender_address),
    recipient: party(v.recipient_name, v.recipient_phone, v.recipient_address),
    destination: v.destination,
    observedAt: v.observed_at,
    observedPlace: v.observed_place,
  });
}

/** Null when the reporter chose to stay anonymous: identity fields are then discarded unread. */
export function identityFrom(v: z.output<z.ZodObject<typeof identityShape>>): IdentityRecord | null {
  if (v.identity_choice === 'anonymous' || !v.identity_name) return null;
  return strip({
    name: v.identity_name,
    phone: v.identity_phone,
    idNumber: v.identity_id_number?.toUpperCase(),
    contact: v.identity_contact,
    consent: v.identity_choice,
  });
}

export type FieldError = { field: string; messageKey: string };

/** zod issues → one i18n key per field, the first issue winning (the web layer translates them). */
export function intakeIssues(error: z.ZodError): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    if (seen.has(field)) continue;
    seen.add(field);
    const code = /^[a-z_]+$/.test(issue.message) ? issue.message : 'invalid';
    errors.push({ field, messageKey: `intake.errors.${code}` });
  }
  return errors;
}

function strip<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
