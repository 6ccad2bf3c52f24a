import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import type { LegalHoldReason } from '../db/schema.js';
import { appendAudit } from '../audit/repository.js';
import { withCase } from '../cases/access.js';
import { readSettings } from '../settings/service.js';
import { deletionDate, LEGAL_HOLD_REASONS, periodsFrom } from './policy.js';
import { retentionFactsOf } from './repository.js';

/**
 * A legal hold suspends retention for one case: a reviewer holding the case's key sets it with a
 * reason from a fixed list (litigation, a request from an authority, an internal investigation, a
 * regulator), so the hold itself adds no content to the plaintext columns. Setting, changing and
 * clearing it are audited on the case.
 */
export const legalHoldSchema = z.object({
  reason: z.enum(LEGAL_HOLD_REASONS as [LegalHoldReason, ...LegalHoldReason[]], { error: 'retention.errors.reason' }),
});

export async function setLegalHold(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, reason: LegalHoldReason): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    await trx.updateTable('reports').set({ legal_hold_reason: reason, legal_hold_set_by: staff.id, legal_hold_set_at: new Date() }).where('id', '=', c.row.id).execute();
    await appendAudit(trx, { actorKind: 'staff', actorId: staff.id, event: 'case.legal_hold_set', caseId: c.row.id, details: { reason } });
  });
}

export async function clearLegalHold(ctx: AppContext, staff: StaffPrincipal, caseNumber: string): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    const held = await trx.selectFrom('reports').select('legal_hold_reason').where('id', '=', c.row.id).executeTakeFirstOrThrow();
    if (!held.legal_hold_reason) return;
    await trx.updateTable('reports').set({ legal_hold_reason: null, legal_hold_set_by: null, legal_hold_set_at: null }).where('id', '=', c.row.id).execute();
    await appendAudit(trx, { actorKind: 'staff', actorId: staff.id, event: 'case.legal_hold_cleared', caseId: c.row.id, details: { reason: held.legal_hold_reason } });
  });
}

/** What the case page and the reporter's page show about retention: the hold and the deletion date. */
export async function caseRetention(ctx: Pick<AppContext, 'database' | 'config'>, reportId: string) {
  const db = ctx.database.db;
  const facts = await retentionFactsOf(db, reportId);
  if (!facts) return null;
  const periods = periodsFrom(await readSettings(ctx));
  const setBy = facts.holdSetBy ? await db.selectFrom('staff').select('username').where('id', '=', facts.holdSetBy).executeTakeFirst() : undefined;
  return {
    closed: facts.status === 'closed',
    deletesOn: deletionDate(facts, periods),
    hold: facts.holdReason ? { reason: facts.holdReason, setBy: setBy?.username ?? null, setAt: facts.holdSetAt } : null,
  };
}
