import type { Transaction } from 'kysely';
import type { AppContext } from '../context.js';
import type { DB } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import { appendAudit } from '../audit/repository.js';
import type { AuditEvent } from '../audit/events.js';
import { openReportKey, type KeyPrincipal } from '../reports/keys.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { findCaseByNumber, type CaseRow } from './repository.js';
import type { Executor } from '../db/executor.js';

/**
 * The one way into a case. A case exists for a staff member only if they hold a grant of its
 * report key K that opens with their own private key; "no such case" and "no grant" are the same
 * 404, so case numbers cannot be probed.
 */
export type OpenCase = {
  readonly row: CaseRow;
  /** K, opened from the viewer's own grant. Wiped when the request is done with it. */
  readonly reportKey: Uint8Array;
  readonly actor: StaffKeyPrincipal;
};

export type StaffKeyPrincipal = KeyPrincipal & { kind: 'staff' };

/** Case numbers are generated as `PG-XXXX-XXXX`; anything far from that shape is not looked up. */
const CASE_NUMBER = /^[A-Za-z0-9-]{1,40}$/;

export function keyPrincipal(staff: StaffPrincipal): StaffKeyPrincipal {
  return { kind: 'staff', id: staff.id, publicKey: staff.publicKey, privateKey: staff.privateKey };
}

export async function openCase(db: Executor, caseNumber: string, staff: StaffPrincipal, forUpdate = false): Promise<OpenCase> {
  if (!CASE_NUMBER.test(caseNumber)) throw new NotFoundError();
  const row = await findCaseByNumber(db, caseNumber, forUpdate);
  if (!row) throw new NotFoundError();
  const actor = keyPrincipal(staff);
  const reportKey = await openReportKey(db, row.id, 'report', actor);
  if (!reportKey) throw new NotFoundError();
  return { row, reportKey, actor };
}

/**
 * Runs a case action in one transaction with the case row locked, so the checks an action makes
 * (current status, who holds which key) still hold when it writes. The audit event goes in the
 * same transaction, written last by each action.
 */
export async function withCase<T>(
  ctx: AppContext,
  staff: StaffPrincipal,
  caseNumber: string,
  work: (trx: Transaction<DB>, c: OpenCase) => Promise<T>,
  opts: { lock?: boolean } = {},
): Promise<T> {
  return ctx.database.db.transaction().execute(async (trx) => {
    // lock: false for actions that lock several cases themselves (lockCases, in id order).
    const c = await openCase(trx, caseNumber, staff, opts.lock ?? true);
    try {
      return await work(trx, c);
    } finally {
      c.reportKey.fill(0);
    }
  });
}

/** A refusal the user can fix: the route re-renders the form named `form` with this message on `field`. */
export class CaseActionRefused extends Error {
  constructor(
    readonly form: string,
    readonly field: string,
    readonly messageKey: string,
  ) {
    super(messageKey);
    this.name = 'CaseActionRefused';
  }
}

/** The audit row of a case action, by the acting staff member. Details: plain facts only. */
export async function auditCase(
  trx: Transaction<DB>,
  staff: { id: string },
  c: OpenCase,
  event: AuditEvent,
  details: Record<string, string | number | boolean | null> = {},
  subjectId: string | null = null,
): Promise<void> {
  await appendAudit(trx, { actorKind: 'staff', actorId: staff.id, event, caseId: c.row.id, subjectId, details });
}
