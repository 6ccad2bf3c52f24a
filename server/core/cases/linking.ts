import type { Transaction } from 'kysely';
import type { AppContext } from '../context.js';
import type { DB } from '../db/schema.js';
import { appendAudit } from '../audit/repository.js';
import { openReportKey } from '../reports/keys.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { auditCase, CaseActionRefused, withCase, type OpenCase } from './access.js';
import { deleteLink, findCaseByNumber, insertManualLink, lockCases } from './repository.js';
import { canTransition } from './transitions.js';
import { moveStatus } from './triage.js';

/**
 * Linking reports about the same parcel or sender. Intake links automatically by blind index;
 * reviewers link, unlink and close duplicates by hand, but only between cases they can both open,
 * so a link can never reveal or touch a case outside their grants.
 */

type Trx = Transaction<DB>;

/** The other case, if it exists and the actor holds a key that opens it; otherwise one refusal for both. */
async function accessibleOther(trx: Trx, c: OpenCase, form: string, other: { caseNumber?: string; id?: string }) {
  const row = other.caseNumber
    ? await findCaseByNumber(trx, other.caseNumber)
    : await trx.selectFrom('reports').select(['id', 'case_number', 'duplicate_of']).where('id', '=', other.id!).executeTakeFirst();
  const key = row ? await openReportKey(trx, row.id, 'report', c.actor) : null;
  if (!row || !key) throw new CaseActionRefused(form, 'caseNumber', 'cases.errors.noAccessibleCase');
  key.fill(0);
  if (row.id === c.row.id) throw new CaseActionRefused(form, 'caseNumber', 'cases.errors.linkSelf');
  await lockCases(trx, [c.row.id, row.id]);
  return { id: row.id, caseNumber: row.case_number, duplicateOf: row.duplicate_of };
}

async function auditOther(trx: Trx, staff: StaffPrincipal, otherId: string, event: 'case.linked' | 'case.unlinked', subjectId: string, details = {}) {
  await appendAudit(trx, { actorKind: 'staff', actorId: staff.id, event, caseId: otherId, subjectId, details });
}

export async function linkCase(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, otherCaseNumber: string): Promise<void> {
  await withCase(
    ctx, staff, caseNumber,
    async (trx, c) => {
      const other = await accessibleOther(trx, c, 'link', { caseNumber: otherCaseNumber });
      if (!(await insertManualLink(trx, c.row.id, other.id, staff.id))) throw new CaseActionRefused('link', 'caseNumber', 'cases.errors.alreadyLinked');
      await auditCase(trx, staff, c, 'case.linked', { reason: 'manual' }, other.id);
      await auditOther(trx, staff, other.id, 'case.linked', c.row.id, { reason: 'manual' });
    },
    { lock: false },
  );
}

export async function unlinkCase(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, otherReportId: string): Promise<void> {
  await withCase(
    ctx, staff, caseNumber,
    async (trx, c) => {
      const other = await accessibleOther(trx, c, 'unlink', { id: otherReportId });
      if (!(await deleteLink(trx, c.row.id, other.id))) throw new CaseActionRefused('unlink', 'caseNumber', 'cases.errors.notLinked');
      await auditCase(trx, staff, c, 'case.unlinked', {}, other.id);
      await auditOther(trx, staff, other.id, 'case.unlinked', c.row.id);
    },
    { lock: false },
  );
}

/** Closes this case as a duplicate of another (outcome duplicate, duplicate_of), linking the two. */
export async function closeAsDuplicate(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, originalCaseNumber: string): Promise<void> {
  await withCase(
    ctx, staff, caseNumber,
    async (trx, unlocked) => {
      const original = await accessibleOther(trx, unlocked, 'duplicate', { caseNumber: originalCaseNumber });
      // Re-read now that both rows are locked: the status checked must be the status changed.
      const c: OpenCase = { ...unlocked, row: (await findCaseByNumber(trx, caseNumber))! };
      if (!canTransition(c.row.status, 'closed')) throw new CaseActionRefused('duplicate', 'caseNumber', 'cases.errors.transition');
      // Two cases closed as duplicates of each other would leave neither open.
      if (original.duplicateOf === c.row.id) throw new CaseActionRefused('duplicate', 'caseNumber', 'cases.errors.duplicateCycle');
      const linked = await insertManualLink(trx, c.row.id, original.id, staff.id);
      await moveStatus(ctx, trx, c, 'closed', { outcome: 'duplicate', extra: { duplicate_of: original.id } });
      await auditCase(trx, staff, c, 'case.duplicate_closed', { linked }, original.id);
      await auditOther(trx, staff, original.id, 'case.linked', c.row.id, { reason: 'duplicate' });
    },
    { lock: false },
  );
}
