/**
 * The reviewer's side of rewards and protection: what the case page shows (claims made, the
 * protection request, credited organisations, referral outcomes), recording what became of a
 * referral, and crediting a company or outlet (seed 004 art. 38 (4)).
 */
import type { AppContext } from '../context.js';
import type { Executor } from '../db/executor.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { fromUtf8, openRecord, sealRecord, utf8 } from '../crypto/index.js';
import { NotFoundError } from '../errors.js';
import { openReportKey } from '../reports/keys.js';
import { appendMessage } from '../reports/messages.js';
import { auditCase, CaseActionRefused, withCase } from '../cases/access.js';
import { updateCase } from '../cases/repository.js';
import { findReferral } from '../referral/repository.js';
import type { z } from 'zod';
import type { creditSchema, outcomeSchema } from './schema.js';
import {
  deleteCredit,
  findOutletOrganisation,
  findReferralOutcomes,
  findRewardClaims,
  insertCredit,
  listCreditableOrganisations,
  listCredits,
  organisationExists,
  setReferralOutcome,
} from './repository.js';

const outcomeContext = (reportId: string, referralId: string) => `${reportId}/${referralId}/outcome`;

/** Everything the case page shows about rewards, protection and credits; references need KN. */
export async function loadCaseRewards(db: Executor, reportId: string, notesKey: Uint8Array | null) {
  const [claims, credits, outcomes, organisations] = await Promise.all([
    findRewardClaims(db, reportId),
    listCredits(db, reportId),
    findReferralOutcomes(db, reportId),
    listCreditableOrganisations(db),
  ]);
  return {
    claims: { codeCreatedAt: claims.code?.createdAt ?? null, identityGivenAt: claims.identity?.createdAt ?? null },
    credits,
    outcomes: Object.fromEntries(
      outcomes.map((o) => [
        o.referralId,
        {
          outcome: o.outcome,
          on: o.on,
          recordedBy: o.recordedBy,
          reference: notesKey && o.referenceSealed ? fromUtf8(openRecord(notesKey, 'referral', outcomeContext(reportId, o.referralId), o.referenceSealed)) : null,
        },
      ]),
    ),
    creditOptions: organisations.map((o) => ({
      value: o.outletId ? `${o.organisationId}/${o.outletId}` : o.organisationId,
      label: o.outlet ? `${o.organisation} · ${o.outlet}` : o.organisation,
    })),
  };
}

/**
 * Records what the receiving body did with a referral. The outcome code is plain (statistics and
 * the reporter's timeline); the body's reference is sealed under KN. The reporter reads the
 * outcome in plain words in their thread.
 */
export async function recordReferralOutcome(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, referralId: string, input: z.output<typeof outcomeSchema>): Promise<void> {
  const form = `outcome-${referralId}`;
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    const referral = await findReferral(trx, c.row.id, referralId);
    if (!referral) throw new NotFoundError();
    if (referral.status !== 'referred') throw new CaseActionRefused(form, 'outcome', 'rewards.errors.outcomeNotReferred');
    const notesKey = await openReportKey(trx, c.row.id, 'notes', c.actor);
    if (!notesKey) throw new CaseActionRefused(form, 'outcome', 'cases.errors.noNotesKey');
    const referenceSealed = sealRecord(notesKey, 'referral', outcomeContext(c.row.id, referralId), utf8(input.reference));
    notesKey.fill(0);
    const previous = (await findReferralOutcomes(trx, c.row.id)).find((o) => o.referralId === referralId)?.outcome ?? null;
    await setReferralOutcome(trx, referralId, { outcome: input.outcome, on: input.on, referenceSealed, recordedBy: staff.id, now: new Date() });
    if (previous !== input.outcome) {
      await appendMessage(trx, { reportId: c.row.id, authorKind: 'system', systemCode: `outcome_${input.outcome}` }, c.reportKey);
    }
    await updateCase(trx, c.row.id, { referral_status: 'updated' });
    await auditCase(trx, staff, c, 'referral.outcome_recorded', { outcome: input.outcome, changed: previous !== input.outcome }, referralId);
  });
}

/** Credits a company (or one of its outlets) on the case; once per company. */
export async function creditOrganisation(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, target: z.output<typeof creditSchema>['target']): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    const organisationId = target.outletId ? await findOutletOrganisation(trx, target.outletId) : (await organisationExists(trx, target.organisationId)) ? target.organisationId : null;
    if (!organisationId || organisationId !== target.organisationId) throw new CaseActionRefused('credit', 'target', 'rewards.errors.creditTarget');
    if (!(await insertCredit(trx, { reportId: c.row.id, organisationId, outletId: target.outletId, creditedBy: staff.id }))) {
      throw new CaseActionRefused('credit', 'target', 'rewards.errors.creditDuplicate');
    }
    await auditCase(trx, staff, c, 'case.credit_added', { organisation: organisationId, outlet: target.outletId });
  });
}

export async function removeCredit(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, creditId: string): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    if (!(await deleteCredit(trx, c.row.id, creditId))) throw new NotFoundError();
    await auditCase(trx, staff, c, 'case.credit_removed', {}, creditId);
  });
}
