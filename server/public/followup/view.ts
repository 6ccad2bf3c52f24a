/** The reporter's status page: what views/followup/status.hbs reads. */
import type { ConsentLevel } from '../../core/db/schema.js';
import { LIMITS_VIEW, stagingContext } from '../intake/view.js';
import type { UploadBatch } from '../../core/intake/uploads.js';
import type { ReporterCase } from '../../core/followup/service.js';
import type { Locale } from '../../core/i18n/index.js';
import { formErrors, type FieldIssue } from '../../web/form-errors.js';

/** Input kept from a rejected form on the page, so nothing typed is lost. */
export type StatusPageState = {
  status?: number;
  reply?: string;
  note?: string;
  batch?: UploadBatch;
  consent?: Record<string, string>;
  protection?: string;
  errors?: FieldIssue[];
};

const CONSENT_KEYS: Record<ConsentLevel, string> = {
  none: 'followup.consent.levels.none',
  confidential: 'followup.consent.levels.confidential',
  share_with_authorities: 'followup.consent.levels.share_with_authorities',
};

export function statusPageContext(locale: Locale, view: ReporterCase, state: StatusPageState) {
  const errors = formErrors(locale, state.errors ?? [], { fieldId: (field) => `field-${field}` });
  const fileNames = new Map<string, string[]>();
  for (const file of view.attachments) {
    if (file.messageId) fileNames.set(file.messageId, [...(fileNames.get(file.messageId) ?? []), file.meta.name]);
  }
  const consentValues = state.consent ?? {};
  return {
    caseNumber: view.caseNumber,
    createdAt: view.createdAt,
    nextFeedbackAt: view.nextFeedbackAt,
    timeline: view.timeline.map((s) => ({ labelKey: `followup.timeline.${s.key}`, done: s.state === 'done', current: s.state === 'current' })),
    outcomeKey: view.status === 'closed' && view.outcome ? `followup.outcomes.${view.outcome}` : null,
    retention: view.retention,
    reward: view.reward,
    protection: { requestedAt: view.protectionRequestedAt, action: '/followup/protection', message: state.protection ?? '' },
    rewardBase: '/followup',
    messages: view.messages.map((m) => ({
      id: m.id,
      from: m.authorKind,
      authorKey: `followup.thread.from.${m.authorKind}`,
      body: m.body,
      systemKey: m.systemCode ? `followup.system.${m.systemCode}` : null,
      createdAt: m.createdAt,
      files: fileNames.get(m.id) ?? [],
    })),
    ownFiles: view.attachments.filter((a) => a.uploadedBy === 'reporter').map((a) => ({ name: a.meta.name, sizeKb: Math.max(1, Math.round(a.meta.size / 1024)) })),
    errors,
    reply: state.reply ?? '',
    note: state.note ?? '',
    staging: state.batch ? stagingContext(state.batch) : null,
    refused: (state.batch?.refused ?? []).map((r) => ({ name: r.name, problemKey: `intake.fileProblems.${r.problem}` })),
    limits: LIMITS_VIEW,
    consent: consentContext(view.consentLevel, consentValues),
  };
}

/** Only upgrades are offered; at the top level there is nothing left to choose. */
function consentContext(level: ConsentLevel, values: Record<string, string>) {
  const offered = level === 'none' ? (['confidential', 'share_with_authorities'] as const) : level === 'confidential' ? (['share_with_authorities'] as const) : [];
  return {
    levelKey: CONSENT_KEYS[level],
    needsIdentity: level === 'none',
    atTop: offered.length === 0,
    options: offered.map((value, i) => ({
      value,
      id: i === 0 ? 'field-consent' : `consent-${value}`,
      labelKey: value === 'confidential' ? 'intake.identity.confidential' : 'intake.identity.share',
      hintKey: value === 'confidential' ? 'intake.identity.confidentialHint' : 'intake.identity.shareHint',
      checked: values.consent === value,
    })),
    values: {
      identity_name: values.identity_name ?? '',
      identity_phone: values.identity_phone ?? '',
      identity_id_number: values.identity_id_number ?? '',
      identity_contact: values.identity_contact ?? '',
    },
  };
}

const IDENTITY_FIELDS = ['identity_name', 'identity_phone', 'identity_id_number', 'identity_contact'] as const;

/**
 * The consent change a reporter sent while the database was away, to send again as typed. The
 * current level is unknown then, so only the chosen option is offered, with the identity fields
 * shown when any was filled in.
 */
export function consentRetryContext(fields: Record<string, string>) {
  const value = fields.consent;
  if (value !== 'confidential' && value !== 'share_with_authorities') return null;
  const values = Object.fromEntries(IDENTITY_FIELDS.map((n) => [n, fields[n] ?? ''])) as Record<(typeof IDENTITY_FIELDS)[number], string>;
  return {
    value,
    labelKey: value === 'confidential' ? 'intake.identity.confidential' : 'intake.identity.share',
    hintKey: value === 'confidential' ? 'intake.identity.confidentialHint' : 'intake.identity.shareHint',
    values,
    hasIdentity: IDENTITY_FIELDS.some((n) => values[n] !== ''),
  };
}
