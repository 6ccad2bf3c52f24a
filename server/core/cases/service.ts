import type { AppContext } from '../context.js';
import { appendAudit } from '../audit/repository.js';
import { fromUtf8, openJson, openRecord } from '../crypto/index.js';
import type { ReportPayload } from '../reports/model.js';
import { listMessages, openRewardNote } from '../reports/messages.js';
import { listReportAttachments } from '../reports/attachments.js';
import { openReportKey } from '../reports/keys.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { listReviewers } from '../queue/repository.js';
import { clockFactsOf, clockRecords, nextClock } from '../alerts/deadlines.js';
import { listCaseIdentityRequests } from '../custody/service.js';
import { listCaseReferrals } from '../referral/service.js';
import { loadCaseRewards } from '../rewards/staff.js';
import { openCase, type OpenCase } from './access.js';
import { holdsGrant, listCaseHolders, listLinks, listNoteRows, listTimelineRows, markReadByStaff, usernamesOf, viewSummary, type CaseRow } from './repository.js';

const TIMELINE_LIMIT = 200;
import { noteBinding } from './note-binding.js';
import { payloadBinding } from '../reports/payload-binding.js';
import { allowedTransitions } from './transitions.js';
import type { Executor } from '../db/executor.js';

/** Images the case page shows inline (through the authenticated file route); everything else downloads. */
export const INLINE_IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/webp'];

export type CaseView = Awaited<ReturnType<typeof loadCaseView>>;

/**
 * Everything on the case page, decrypted with the viewer's own keys: the payload and files under K,
 * notes under KN (when held). Opening the page records `case.viewed` and marks the reporter's
 * messages as read, in one transaction.
 */
export async function loadCaseView(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, now = new Date()) {
  const db = ctx.database.db;
  const c = await openCase(db, caseNumber, staff);
  try {
    // Reads run side by side on the pool; only the two writes share a (short) transaction.
    const view = await assembleView(db, c, now);
    await db.transaction().execute(async (trx) => {
      await markReadByStaff(trx, c.row.id, now);
      await appendAudit(trx, { actorKind: 'staff', actorId: staff.id, event: 'case.viewed', caseId: c.row.id });
    });
    return view;
  } finally {
    c.reportKey.fill(0);
  }
}

async function assembleView(trx: Executor, c: OpenCase, now: Date) {
  const { row, reportKey, actor } = c;
  const [notesKey, identityHeld] = await Promise.all([
    openReportKey(trx, row.id, 'notes', actor),
    row.identity_present ? holdsGrant(trx, row.id, 'identity', actor.id) : Promise.resolve(false),
  ]);
  try {
    const [attachments, messages, links, holders, reviewers, timeline, identityRequests, referrals] = await Promise.all([
      listReportAttachments(trx, row.id, reportKey),
      listMessages(trx, row.id, reportKey),
      listLinks(trx, row.id, actor.id),
      listCaseHolders(trx, row.id),
      listReviewers(trx),
      loadTimeline(trx, row.id),
      listCaseIdentityRequests(trx, row.id, notesKey),
      listCaseReferrals(trx, row.id, notesKey),
    ]);
    const authors = await usernamesOf(trx, messages.flatMap((m) => (m.authorId ? [m.authorId] : [])));
    return {
      report: summarise(row),
      badge: nextClock(clockFactsOf(row), now),
      clocks: clockRecords(clockFactsOf(row), now),
      transitions: allowedTransitions(row.status),
      payload: openJson<ReportPayload>(reportKey, 'payload', row.id, new Uint8Array(row.payload_sealed), payloadBinding(row)),
      rewardNote: row.reward_note_sealed ? openRewardNote(reportKey, row.id, new Uint8Array(row.reward_note_sealed)) : null,
      attachments: attachments.map((a) => ({ id: a.id, ...a.meta, inline: INLINE_IMAGE_TYPES.includes(a.meta.type), uploadedBy: a.uploadedBy, createdAt: a.createdAt })),
      messages: messages.map((m) => ({ ...m, authorName: m.authorId ? authors.get(m.authorId) ?? null : null })),
      notes: notesKey ? await openNotes(trx, row.id, notesKey) : null,
      links,
      holders: holders.map((h) => ({ ...h, isAssignee: h.id === row.assignee_id, isMe: h.id === actor.id, hasNotes: h.kinds.includes('notes'), hasIdentity: h.kinds.includes('identity') })),
      reviewers: reviewers.map((r) => ({ id: r.id, username: r.username, isAssignee: r.id === row.assignee_id })),
      shareCandidates: reviewers.filter((r) => !holders.some((h) => h.id === r.id)),
      timeline,
      identity: {
        present: row.identity_present,
        held: identityHeld,
        requests: identityRequests,
        pendingMine: identityRequests.some((r) => r.status === 'pending' && r.requesterId === actor.id),
      },
      referrals: referrals.map((f) => ({ ...f, mine: f.createdById === actor.id })),
      canWriteNotes: notesKey !== null,
      rewards: await loadCaseRewards(trx, row.id, notesKey),
    };
  } finally {
    notesKey?.fill(0);
  }
}

/** Plaintext metadata of the case, as the page shows it. */
function summarise(row: CaseRow) {
  return {
    id: row.id,
    caseNumber: row.case_number,
    channel: row.channel,
    status: row.status,
    outcome: row.outcome,
    severity: row.severity,
    categories: row.categories,
    province: row.province,
    immediateDanger: row.immediate_danger,
    assigneeId: row.assignee_id,
    labels: row.labels,
    consentLevel: row.consent_level,
    rewardEligible: row.reward_eligible,
    referralStatus: row.referral_status,
    duplicateOf: row.duplicate_of,
    createdAt: row.created_at,
    acknowledgedAt: row.acknowledged_at,
    closedAt: row.closed_at,
    protectionRequestedAt: row.protection_requested_at,
    lastReporterActivityAt: row.last_reporter_activity_at,
  };
}

async function openNotes(trx: Executor, reportId: string, notesKey: Uint8Array) {
  const rows = await listNoteRows(trx, reportId);
  return rows.map((n) => ({
    id: n.id,
    author: n.username,
    createdAt: n.created_at,
    body: fromUtf8(openRecord(notesKey, 'note', `${reportId}/${n.id}`, n.body_sealed, noteBinding(n.author_id))),
  }));
}

/**
 * The case's audit trail, newest first, with who did what (details are plain facts, never content).
 * Plain views are summarised rather than listed: on a busy case they would drown everything else.
 */
async function loadTimeline(trx: Executor, reportId: string) {
  const [rows, views] = await Promise.all([listTimelineRows(trx, reportId, TIMELINE_LIMIT), viewSummary(trx, reportId)]);
  const actorIds = rows.flatMap((r) => (r.actor_kind === 'staff' && r.actor_id ? [r.actor_id] : []));
  const names = await usernamesOf(trx, views.last_actor ? [...actorIds, views.last_actor] : actorIds);
  return {
    entries: rows.map((r) => ({
      at: r.occurred_at,
      event: r.event,
      actorKind: r.actor_kind,
      actor: r.actor_id ? names.get(r.actor_id) ?? null : null,
      details: r.details as Record<string, unknown>,
    })),
    truncated: rows.length === TIMELINE_LIMIT,
    views: { count: views.views, lastAt: views.last_at, lastBy: views.last_actor ? names.get(views.last_actor) ?? null : null },
  };
}
