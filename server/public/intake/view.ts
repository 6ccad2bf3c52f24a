/**
 * View models for the report form partials (views/partials/report-*.hbs). Kept apart from the
 * routes so the employee tip form can build the same context for the same partials.
 */
import { CATEGORY_GROUPS, IMMEDIATE_DANGER_CODES } from '../../core/intake/taxonomy.js';
import { NOTICED_HOW, PARCEL_DIRECTIONS, PARCEL_LOCATIONS, PROVINCE_CODES } from '../../core/reports/model.js';
import { ATTACHMENT_LIMITS, HEIC_SUPPORTED } from '../../core/reports/attachments.js';
import { IDENTITY_CHOICES, REPORT_FIELD_MAXLENGTH, REPORT_TEXT_FIELDS, identityFrom, type FieldError, type ReportFormValues, type ValidReportForm } from '../../core/intake/schema.js';
import type { RefusedFile, UploadBatch } from '../../core/intake/uploads.js';
import type { FormWithFiles } from '../../core/intake/uploads.js';
import { stagingFields } from '../../core/intake/service.js';
import type { Locale } from '../../core/i18n/index.js';
import { formErrors } from '../../web/form-errors.js';
import { first, type FieldMap } from '../../core/fields.js';

const MB = 1024 * 1024;

export const LIMITS_VIEW = Object.freeze({
  maxFiles: ATTACHMENT_LIMITS.maxFiles,
  maxFileMb: ATTACHMENT_LIMITS.maxFileBytes / MB,
  maxTotalMb: ATTACHMENT_LIMITS.maxTotalBytes / MB,
  typesKey: HEIC_SUPPORTED ? 'intake.files.typesWithHeic' : 'intake.files.typesWithoutHeic',
  maxFileBytes: ATTACHMENT_LIMITS.maxFileBytes,
  maxTotalBytes: ATTACHMENT_LIMITS.maxTotalBytes,
  accept: ['image/jpeg', 'image/png', 'image/webp', ...(HEIC_SUPPORTED ? ['image/heic', '.heic'] : []), 'application/pdf', 'video/mp4', 'text/plain', '.txt'].join(','),
});


const options = (values: readonly string[], prefix: string, selected: string) =>
  values.map((value) => ({ value, labelKey: `${prefix}.${value}`, selected: value === selected }));

/** Everything the report-* partials read, for a fresh or re-rendered form. */
export function reportFormContext(locale: Locale, values: ReportFormValues, issues: FieldError[], batch: UploadBatch | null, refused: RefusedFile[] = []) {
  const errors = formErrors(locale, issues, { fieldId: (field) => (field === 'form' ? 'report-form' : `field-${field}`) });
  const choice = (IDENTITY_CHOICES as readonly string[]).includes(values.identity_choice) ? values.identity_choice : 'anonymous';
  return {
    values,
    errors,
    categoryGroups: CATEGORY_GROUPS.map((g) => ({
      group: g.group,
      codes: g.codes.map((code) => ({
        code,
        // The error summary links to the first checkbox of the group.
        id: code === CATEGORY_GROUPS[0].codes[0] ? 'field-categories' : `category-${code}`,
        checked: values.categories.includes(code),
        danger: IMMEDIATE_DANGER_CODES.includes(code),
      })),
    })),
    dangerYes: values.immediate_danger === 'yes',
    provinces: options(PROVINCE_CODES, 'intake.provinces', values.province),
    directions: options(PARCEL_DIRECTIONS, 'intake.direction', values.direction),
    noticedHow: options(NOTICED_HOW, 'intake.noticedHow', values.noticed_how),
    parcelLocations: options(PARCEL_LOCATIONS, 'intake.parcelLocation', values.parcel_location),
    identityChoices: [
      { value: 'anonymous', labelKey: 'intake.identity.anonymous', hintKey: 'intake.identity.anonymousHint', checked: choice === 'anonymous' },
      { value: 'confidential', labelKey: 'intake.identity.confidential', hintKey: 'intake.identity.confidentialHint', checked: choice === 'confidential' },
      { value: 'share_with_authorities', labelKey: 'intake.identity.share', hintKey: 'intake.identity.shareHint', checked: choice === 'share_with_authorities' },
    ],
    staging: batch ? stagingContext(batch) : null,
    refused: refused.map((r) => ({ name: r.name, problemKey: `intake.fileProblems.${r.problem}` })),
    limits: LIMITS_VIEW,
    honeypotVisible: Boolean(errors.byField.website),
    descriptionMax: REPORT_FIELD_MAXLENGTH.description,
  };
}

export function stagingContext(batch: UploadBatch) {
  const view = batch.stagingView();
  return {
    stagingKey: view.stagingKey,
    files: view.files.map((f) => ({ ...f, sizeKb: Math.max(1, Math.round(f.size / 1024)) })),
  };
}

/**
 * The database is away, so staged files cannot be listed (their names are sealed in rows we cannot
 * read now); their ids and the staging key are carried in the form so they stay attached.
 */
export function carriedStagingContext(fields: FormWithFiles['fields']) {
  const { stagingKey, staged, remove } = stagingFields(fields);
  if (!stagingKey) return null;
  const files = staged.filter((id) => !remove.includes(id)).map((id) => ({ id }));
  return { stagingKey, files: [], carried: files, unreadable: true };
}

/** What the "service unavailable, your text is kept" notice on a re-rendered form needs. */
export function unavailableContext(form: FormWithFiles) {
  // A batch opened before the database went away still knows its files (names included).
  if (form.batch) return { unavailable: { discardedFiles: form.discardedFiles, keptFiles: 0 }, staging: stagingContext(form.batch) };
  const staging = carriedStagingContext(form.fields);
  return { unavailable: { discardedFiles: form.discardedFiles, keptFiles: staging?.carried.length ?? 0 }, staging };
}

/** The review page: every value as a hidden field (nothing is kept on the server between steps). */
export function hiddenFieldsOf(values: ReportFormValues): { name: string; value: string }[] {
  return [
    ...values.categories.map((value) => ({ name: 'categories', value })),
    ...REPORT_TEXT_FIELDS.filter((name) => name !== 'website').map((name) => ({ name, value: values[name] })),
    { name: 'website', value: '' },
  ];
}

/** Receipt digits in groups of four, as people copy them: "1234 5678 9012 3456". */
export function groupReceipt(receipt: string): string[] {
  return receipt.match(/.{1,4}/g) ?? [];
}

type Detail = { labelKey: string; value?: string; valueKey?: string };

/** The review page's summary of a valid form, in form order; empty answers are left out. */
export function reviewContext(valid: ValidReportForm) {
  const details: Detail[] = [];
  const add = (labelKey: string, value: string | undefined) => value && details.push({ labelKey, value });
  const choice = (labelKey: string, prefix: string, value: string | undefined) => value && details.push({ labelKey, valueKey: `${prefix}.${value}` });
  add('intake.fields.waybillNumbers', valid.waybill_numbers.join('\n'));
  add('intake.fields.courierCompany', valid.courier_company);
  add('intake.fields.outlet', valid.outlet);
  choice('intake.fields.province', 'intake.provinces', valid.province);
  choice('intake.fields.direction', 'intake.direction', valid.direction);
  choice('intake.fields.noticedHow', 'intake.noticedHow', valid.noticed_how);
  add('intake.fields.declaredContents', valid.declared_contents);
  add('intake.fields.suspectedContents', valid.suspected_contents);
  choice('intake.fields.parcelLocation', 'intake.parcelLocation', valid.parcel_location);
  add('intake.fields.sender', [valid.sender_name, valid.sender_phone, valid.sender_address].filter(Boolean).join('\n'));
  add('intake.fields.recipient', [valid.recipient_name, valid.recipient_phone, valid.recipient_address].filter(Boolean).join('\n'));
  add('intake.fields.destination', valid.destination);
  add('intake.fields.observedAt', valid.observed_at?.replace('T', ' '));
  add('intake.fields.observedPlace', valid.observed_place);
  const identity = identityFrom(valid);
  const choiceKey = { confidential: 'intake.identity.confidential', share_with_authorities: 'intake.identity.share' } as const;
  return {
    immediateDanger: valid.immediate_danger,
    categories: valid.categories,
    description: valid.description,
    details,
    identity: identity ? { name: identity.name, choiceKey: choiceKey[identity.consent] } : null,
  };
}

/**
 * Whether a POST from a form comes back as the quick tip: a quick tip stays one (with what was
 * typed and the staged photo), except for its "add details" button (action=edit), which opens the
 * full form with all of it. Both forms post to the same route and the same intake service.
 */
export function staysQuick(fields: FieldMap): boolean {
  return first(fields, 'form_kind') === 'quick' && first(fields, 'action') !== 'edit';
}
