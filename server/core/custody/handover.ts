/**
 * Custody hand-over. Intake seals each identity key (a report's KI, an employee account's KE) to
 * the custodians active at that moment, so a custodian appointed later holds none of the earlier
 * ones, and if every earlier custodian left, those identities could never be read again — not
 * even for a reporter who consented to sharing. A custodian passes the identity keys they hold to
 * another custodian from their own unlocked session; the server cannot do it alone.
 *
 * For each report the new custodian also receives K and KN where they lack them: deciding an
 * identity request opens the case (K) and seals the decision under KN. Every report handed over
 * gets its own audit entry on its case timeline, plus one summary entry for the hand-over.
 */
import type { AppContext } from '../context.js';
import { appendAudit } from '../audit/repository.js';
import { resealKey } from '../crypto/index.js';
import { keyPrincipal } from '../cases/access.js';
import { holdsGrant } from '../cases/repository.js';
import { grantKeyTo } from '../reports/keys.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import {
  countEmployeeGrantsToHandOver,
  countReportsToHandOver,
  employeeGrantsToHandOver,
  insertEmployeeGrant,
  listOtherCustodians,
  reportsToHandOver,
} from './repository.js';
import type { Executor } from '../db/executor.js';

/** Reports handed over per request; the page offers to continue while any remain. */
export const HANDOVER_BATCH = 500;

export class HandOverRefused extends Error {
  constructor(readonly messageKey: string) {
    super(messageKey);
  }
}

export type HandOverResult = { reports: number; employees: number; remaining: number };

/** The other custodians, with how many of my identity keys each still lacks. */
export async function handOverTargets(db: Executor, custodian: StaffPrincipal) {
  const others = await listOtherCustodians(db, custodian.id);
  return Promise.all(
    others.map(async (o) => ({
      id: o.id,
      username: o.username,
      missingReports: await countReportsToHandOver(db, custodian.id, o.id),
      missingEmployees: await countEmployeeGrantsToHandOver(db, custodian.id, o.id),
    })),
  );
}

export async function handOverCustody(ctx: AppContext, custodian: StaffPrincipal, toId: string): Promise<HandOverResult> {
  if (!custodian.isCustodian) throw new HandOverRefused('custody.handover.errors.notCustodian');
  return ctx.database.db.transaction().execute(async (trx) => {
    const target = (await listOtherCustodians(trx, custodian.id)).find((o) => o.id === toId);
    if (!target) throw new HandOverRefused('custody.handover.errors.target');
    const me = keyPrincipal(custodian);

    const reportIds = await reportsToHandOver(trx, custodian.id, target.id, HANDOVER_BATCH);
    for (const reportId of reportIds) {
      const kinds = [] as ('report' | 'notes' | 'identity')[];
      for (const kind of ['report', 'notes', 'identity'] as const) {
        if (!(await holdsGrant(trx, reportId, kind, target.id)) && (await grantKeyTo(trx, reportId, kind, target.id, target.publicKey, me))) kinds.push(kind);
      }
      await appendAudit(trx, { actorKind: 'staff', actorId: custodian.id, event: 'case.custody_handed_over', caseId: reportId, subjectId: target.id, details: { keys: kinds.join(',') } });
    }

    const employeeGrants = await employeeGrantsToHandOver(trx, custodian.id, target.id);
    for (const grant of employeeGrants) {
      await insertEmployeeGrant(trx, grant.employeeId, target.id, resealKey(grant.sealedKey, me, target.publicKey));
    }

    const remaining = await countReportsToHandOver(trx, custodian.id, target.id);
    const result = { reports: reportIds.length, employees: employeeGrants.length, remaining };
    await appendAudit(trx, { actorKind: 'staff', actorId: custodian.id, event: 'custody.handed_over', subjectId: target.id, details: result });
    return result;
  });
}
