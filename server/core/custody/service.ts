import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { AppContext } from '../context.js';
import type { DB } from '../db/schema.js';
import { appendAudit } from '../audit/repository.js';
import { fromUtf8, openJson, openRecord, sealRecord, utf8 } from '../crypto/index.js';
import { NotFoundError } from '../errors.js';
import { grantKeyTo, openReportKey } from '../reports/keys.js';
import { appendMessage } from '../reports/messages.js';
import type { IdentityRecord } from '../reports/model.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { auditCase, CaseActionRefused, keyPrincipal, withCase } from '../cases/access.js';
import { findActiveReviewer, hasIdentityAccessRecord, holdsGrant } from '../cases/repository.js';
import {
  findIdentitySealed,
  findRequestForUpdate,
  hasPendingRequest,
  insertIdentityRequest,
  listPendingForCustodian,
  listRequestsForReport,
  recordDecision,
  type RequestRow,
} from './repository.js';
import type { Executor } from '../db/executor.js';
import { recordAlertEvent } from '../alerts/events.js';

/**
 * Identity custodianship (DESIGN §4). A reporter's identity is sealed under KI, which intake grants
 * only to custodians (and the reporter). A reviewer asks with a reason; a custodian decides with a
 * reason; approval re-seals KI to the reviewer from the custodian's own unlocked session, so no
 * access rule the server could skip stands between a reviewer and an identity: without a
 * custodian's private key, the grant cannot be made at all.
 */

const reasonContext = (reportId: string, requestId: string) => `${reportId}/${requestId}`;
const decisionContext = (reportId: string, requestId: string) => `${reportId}/${requestId}/decision`;

export type CaseIdentityRequest = {
  id: string;
  requesterId: string;
  requester: string;
  status: 'pending' | 'approved' | 'denied';
  createdAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  /** Null when the viewer holds no KN to open it. */
  reason: string | null;
  decisionReason: string | null;
};

export async function requestIdentityAccess(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, reason: string): Promise<void> {
  await withCase(ctx, staff, caseNumber, async (trx, c) => {
    const refuse = (key: string) => new CaseActionRefused('identityRequest', 'reason', key);
    if (!c.row.identity_present) throw refuse('custody.errors.noIdentity');
    if (await holdsGrant(trx, c.row.id, 'identity', staff.id)) throw refuse('custody.errors.alreadyHeld');
    if (await hasPendingRequest(trx, c.row.id, staff.id)) throw refuse('custody.errors.alreadyPending');
    const notesKey = await openReportKey(trx, c.row.id, 'notes', c.actor);
    if (!notesKey) throw refuse('cases.errors.noNotesKey');
    const id = randomUUID();
    try {
      await insertIdentityRequest(trx, { id, reportId: c.row.id, requesterId: staff.id, reasonSealed: sealRecord(notesKey, 'request', reasonContext(c.row.id, id), utf8(reason)) });
    } finally {
      notesKey.fill(0);
    }
    await auditCase(trx, staff, c, 'identity.requested', { request: id });
    await recordAlertEvent(trx, { type: 'identity.requested', reportId: c.row.id });
  });
}

function openText(key: Uint8Array | null, purpose: 'request', context: string, sealed: Uint8Array | null): string | null {
  return key && sealed ? fromUtf8(openRecord(key, purpose, context, sealed)) : null;
}

function toCaseRequest(r: RequestRow, notesKey: Uint8Array | null): CaseIdentityRequest {
  return {
    id: r.id,
    requesterId: r.requester_id,
    requester: r.requester_name,
    status: r.status,
    createdAt: r.created_at,
    decidedBy: r.decider_name,
    decidedAt: r.decided_at,
    reason: openText(notesKey, 'request', reasonContext(r.report_id, r.id), r.reason_sealed),
    decisionReason: openText(notesKey, 'request', decisionContext(r.report_id, r.id), r.decision_reason_sealed),
  };
}

/** The case page's list of requests, reasons opened with the viewer's KN (null without it). */
export async function listCaseIdentityRequests(db: Executor, reportId: string, notesKey: Uint8Array | null): Promise<CaseIdentityRequest[]> {
  return (await listRequestsForReport(db, reportId)).map((r) => toCaseRequest(r, notesKey));
}

/** Pending requests the custodian can decide, with reasons opened under their own KN of each report. */
export async function listPendingRequests(ctx: AppContext, custodian: StaffPrincipal) {
  const db = ctx.database.db;
  const rows = await listPendingForCustodian(db, custodian.id);
  const out = [];
  for (const r of rows) {
    const notesKey = await openReportKey(db, r.report_id, 'notes', keyPrincipal(custodian));
    out.push({
      id: r.id,
      caseNumber: r.case_number,
      requester: r.requester_name,
      own: r.requester_id === custodian.id,
      createdAt: r.created_at,
      reason: openText(notesKey, 'request', reasonContext(r.report_id, r.id), r.reason_sealed),
    });
    notesKey?.fill(0);
  }
  return out;
}

export class DecisionRefused extends Error {
  constructor(
    readonly requestId: string,
    readonly messageKey: string,
  ) {
    super(messageKey);
    this.name = 'DecisionRefused';
  }
}

/**
 * A custodian approves or denies a request. Approval opens the custodian's own KI grant with the
 * private key of their session and seals KI to the requester; the reporter is told, in the thread,
 * that their identity has been accessed (not by whom).
 */
export async function decideRequest(ctx: AppContext, custodian: StaffPrincipal, requestId: string, input: { decision: 'approve' | 'deny'; reason: string }): Promise<void> {
  await ctx.database.db.transaction().execute(async (trx) => {
    const request = await findRequestForUpdate(trx, requestId);
    if (!request) throw new NotFoundError();
    const refuse = (key: string) => new DecisionRefused(requestId, key);
    if (request.status !== 'pending') throw refuse('custody.errors.alreadyDecided');
    if (request.requester_id === custodian.id) throw refuse('custody.errors.ownRequest');
    const actor = keyPrincipal(custodian);
    const [reportKey, notesKey] = [await openReportKey(trx, request.report_id, 'report', actor), await openReportKey(trx, request.report_id, 'notes', actor)];
    if (!reportKey || !notesKey) throw new NotFoundError();
    try {
      if (input.decision === 'approve') await approve(trx, request, custodian, reportKey, refuse);
      const reasonSealed = sealRecord(notesKey, 'request', decisionContext(request.report_id, request.id), utf8(input.reason));
      await recordDecision(trx, request.id, { status: input.decision === 'approve' ? 'approved' : 'denied', decidedBy: custodian.id, reasonSealed });
    } finally {
      reportKey.fill(0);
      notesKey.fill(0);
    }
    const event = input.decision === 'approve' ? 'identity.approved' : 'identity.denied';
    await appendAudit(trx, { actorKind: 'staff', actorId: custodian.id, event, caseId: request.report_id, subjectId: request.requester_id, details: { request: request.id } });
  });
}

type PendingRequest = NonNullable<Awaited<ReturnType<typeof findRequestForUpdate>>>;

async function approve(trx: Transaction<DB>, request: PendingRequest, custodian: StaffPrincipal, reportKey: Uint8Array, refuse: (key: string) => Error) {
  const requester = await findActiveReviewer(trx, request.requester_id);
  if (!requester || !(await holdsGrant(trx, request.report_id, 'report', requester.id))) throw refuse('custody.errors.requesterGone');
  // The cryptographic step: KI leaves the custodian's grant only through their unlocked session.
  const granted = await grantKeyTo(trx, request.report_id, 'identity', requester.id, requester.publicKey, keyPrincipal(custodian));
  if (!granted) throw refuse('custody.errors.noIdentityKey');
  await appendMessage(trx, { reportId: request.report_id, authorKind: 'system', systemCode: 'identity_accessed' }, reportKey);
}

/**
 * Opens the reporter's identity for a staff member holding KI (custodian, or reviewer after
 * approval); 404 for anyone else. Every view is audited; the reporter is told the first time a
 * given staff member accesses it (an approval already told them about the requester).
 */
export async function viewIdentity(ctx: AppContext, staff: StaffPrincipal, caseNumber: string) {
  return withCase(ctx, staff, caseNumber, async (trx, c) => {
    const identityKey = c.row.identity_present ? await openReportKey(trx, c.row.id, 'identity', c.actor) : null;
    const sealed = identityKey ? await findIdentitySealed(trx, c.row.id) : null;
    if (!identityKey || !sealed) throw new NotFoundError();
    let identity: IdentityRecord;
    try {
      identity = openJson<IdentityRecord>(identityKey, 'identity', c.row.id, sealed);
    } finally {
      identityKey.fill(0);
    }
    if (!(await hasIdentityAccessRecord(trx, c.row.id, staff.id))) {
      await appendMessage(trx, { reportId: c.row.id, authorKind: 'system', systemCode: 'identity_accessed' }, c.reportKey);
    }
    await auditCase(trx, staff, c, 'identity.viewed', { custodian: staff.isCustodian });
    return { caseNumber: c.row.case_number, consentLevel: c.row.consent_level, identity };
  });
}
