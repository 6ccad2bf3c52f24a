import type { Request, Response } from 'express';
import type { AppContext } from '../../core/context.js';
import { CATEGORY_GROUPS } from '../../core/intake/taxonomy.js';
import { principalOf } from '../guard.js';
import { formErrors, type FieldIssue } from '../../web/form-errors.js';
import { loadCaseView } from '../../core/cases/service.js';
import { REPORT_OUTCOMES, SEVERITIES } from '../../core/reports/lifecycle.js';
import { REFERRAL_CHANNELS } from '../../core/referral/schema.js';
import { NotFoundError } from '../../core/errors.js';
import { caseRetention } from '../../core/retention/hold.js';
import { LEGAL_HOLD_REASONS } from '../../core/retention/policy.js';
import { findShreddedCase } from '../../core/retention/repository.js';

const CASE_NUMBER = /^[A-Za-z0-9-]{1,40}$/;

/** A rejected case-page form: which one, what was typed, and the messages. */
export type FormState = { form: string; values: Record<string, unknown>; errors: FieldIssue[] };

/** Confirmations shown after a successful action (?done=…); anything else is ignored. */
const DONE = new Set([
  'acknowledged', 'status', 'severity', 'labels', 'assigned', 'shared', 'revoked', 'message', 'question', 'reward', 'note',
  'linked', 'unlinked', 'duplicate', 'identityRequested', 'referral', 'referralPending', 'referralApproved', 'referralUpdated',
  'legalHold', 'legalHoldCleared',
  'referralOutcome', 'credited', 'uncredited',
]);

/** Where the error summary's link takes the keyboard: the failing form's first field (or its section). */
const FORM_ANCHORS: Record<string, string> = {
  acknowledge: 'triage', status: 'st-to', severity: 'sev-severity', labels: 'lab-labels', reward: 'rew-note',
  message: 'msg-body', requestInfo: 'q-question', note: 'note-body', assign: 'as-assignee', share: 'team', revoke: 'team',
  link: 'ln-caseNumber', unlink: 'links', duplicate: 'dup-caseNumber', identityRequest: 'identity',
  legalHold: 'lh-reason', legalHoldClear: 'retention',
};

function anchorOf(form: string, field: string): string {
  if (form === 'status') return field === 'outcome' ? 'st-outcome' : 'st-to';
  if (form.startsWith('update-')) return `upd-${form.slice('update-'.length)}`;
  if (form.startsWith('approve-')) return 'referrals';
  if (form.startsWith('outcome-')) return `out-${form.slice('outcome-'.length)}`;
  if (form === 'credit') return 'credit-target';
  return FORM_ANCHORS[form] ?? 'main';
}

/** Only strings (and lists of strings) typed into the form come back into it. */
export function typedValues(body: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (k === '_csrf') continue;
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.filter((x) => typeof x === 'string');
  }
  return out;
}

/**
 * Renders the case page, optionally with one form's typed input and errors (status 422). Loading
 * the page re-checks the viewer's grant, so a rejected form never shows a case to someone who
 * could not open it.
 */
export async function renderCasePage(ctx: AppContext, req: Request, res: Response, state?: FormState, status = 200): Promise<void> {
  const caseNumber = String(req.params.caseNumber ?? '');
  let view: Awaited<ReturnType<typeof loadCaseView>>;
  try {
    view = await loadCaseView(ctx, principalOf(req), caseNumber);
  } catch (err) {
    // A case shredded under the retention policy: say so rather than "not found" (no content is left).
    const shredded = err instanceof NotFoundError && CASE_NUMBER.test(caseNumber) ? await findShreddedCase(ctx.database.db, caseNumber, principalOf(req).id) : undefined;
    if (!shredded) throw err;
    res.status(410).render('case-deleted', { layout: 'staff', titleKey: 'retention.deleted.title', caseNumber: shredded.case_number, shreddedAt: shredded.shredded_at });
    return;
  }
  const retention = await caseRetention(ctx, view.report.id);
  const done = typeof req.query.done === 'string' && DONE.has(req.query.done) ? req.query.done : null;
  const errors = state ? formErrors(req.locale, state.errors, { fieldId: (field) => anchorOf(state.form, field) }) : null;
  res.status(status).render('case', {
    layout: 'staff',
    titleKey: 'cases.title',
    view,
    staffId: principalOf(req).id,
    forms: state ? { [state.form]: { values: state.values, errors } } : {},
    errors,
    done,
    // Also after a refused second request, so the reason just typed is not lost.
    showIdentityRequestForm: view.identity.present && !view.identity.held && (!view.identity.pendingMine || state?.form === 'identityRequest'),
    outcomes: REPORT_OUTCOMES.filter((o) => o !== 'duplicate'),
    severities: SEVERITIES,
    categoryGroups: CATEGORY_GROUPS,
    referralChannels: REFERRAL_CHANNELS,
    retention,
    legalHoldReasons: LEGAL_HOLD_REASONS,
  });
}
