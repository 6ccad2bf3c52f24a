import type { Db } from '../db/index.js';
import type { StaffRole } from '../db/schema.js';
import { OPEN_STATUSES, REPORT_STATUSES, type ReportStatus } from '../reports/lifecycle.js';
import { countOpenAssigned, listReviewers, queuePage, statusCounts, type QueueFilter, type QueuePosition, type QueueRow, type QueueSortKey } from './repository.js';
import { clockFactsOf, nextClock, type CaseClock } from '../alerts/deadlines.js';
import type { QueueQuery } from './schema.js';

export const QUEUE_PAGE_SIZE = 50;

export type QueueViewer = { readonly id: string; readonly role: StaffRole };

export type QueueItem = {
  readonly row: QueueRow;
  /** The soonest running clock of the deadline engine, or null once closed. */
  readonly badge: CaseClock | null;
};

export type QueueView = {
  readonly items: QueueItem[];
  /** Opaque cursor for the next page, or null on the last page. */
  readonly nextCursor: string | null;
  readonly counts: { status: ReportStatus; n: number }[];
  readonly totalOpen: number;
  readonly myOpen: number;
  /** More open cases are assigned to the viewer than myOpen, which is then MY_OPEN_UP_TO. */
  readonly myOpenMore: boolean;
  readonly reviewers: { id: string; username: string }[];
};

const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEIJING = '+08:00';

/**
 * The cursor is base64url JSON of [sort, sort key, (created_at,) id]: plaintext metadata only,
 * never anything sealed. It is tied to its sort order; a cursor from another order or a damaged
 * one is ignored and the first page shown.
 */
export function encodeCursor(sort: QueueSortKey, row: QueueRow): string | null {
  const key = sort === 'due' ? row.due_text : sort === 'severity' ? String(row.severity_weight) : row.created_text;
  if (key === null) return null;
  const parts = sort === 'severity' ? [sort, key, row.created_text, row.id] : [sort, key, row.id];
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(sort: QueueSortKey, cursor: string | undefined): QueuePosition | null {
  if (!cursor || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parts) || parts[0] !== sort || !parts.every((p) => typeof p === 'string')) return null;
  const id = parts[parts.length - 1] as string;
  if (!UUID.test(id)) return null;
  if (sort === 'severity') {
    const [, weight, createdAt] = parts as string[];
    return parts.length === 4 && /^[0-3]$/.test(weight!) && ISO_MICROS.test(createdAt!) ? { key: weight!, createdAt, id } : null;
  }
  return parts.length === 3 && ISO_MICROS.test(parts[1] as string) ? { key: parts[1] as string, id } : null;
}

/** Calendar dates in the filter are Beijing dates: "to" includes the whole of that day. */
export function toQueueFilter(q: QueueQuery, legalAckBound = false): QueueFilter {
  const day = 24 * 3600 * 1000;
  return {
    status: q.status,
    categories: q.category,
    severity: q.severity,
    channel: q.channel,
    province: q.province,
    assignee: q.assignee,
    due: q.due,
    legalAckBound,
    linked: q.linked,
    createdFrom: q.from ? new Date(`${q.from}T00:00:00${BEIJING}`) : undefined,
    createdBefore: q.to ? new Date(new Date(`${q.to}T00:00:00${BEIJING}`).getTime() + day) : undefined,
  };
}

/** "My cases" counts exactly up to this many, then shows "999+". */
export const MY_OPEN_UP_TO = 999;

/** Everything the queue page shows, from plaintext metadata only: nothing is decrypted here. */
export async function loadQueue(db: Db, viewer: QueueViewer, q: QueueQuery, opts: { now?: Date; legalAckBound?: boolean } = {}): Promise<QueueView> {
  const now = opts.now ?? new Date();
  const after = decodeCursor(q.sort, q.after);
  const [rows, counts, myOpen, reviewers] = await Promise.all([
    queuePage(db, viewer.id, toQueueFilter(q, opts.legalAckBound), q.sort, after, QUEUE_PAGE_SIZE, now),
    statusCounts(db, viewer.id),
    countOpenAssigned(db, viewer.id, MY_OPEN_UP_TO),
    listReviewers(db),
  ]);
  const page = rows.slice(0, QUEUE_PAGE_SIZE);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => ({ row, badge: nextClock(clockFactsOf(row), now) })),
    nextCursor: rows.length > QUEUE_PAGE_SIZE && last ? encodeCursor(q.sort, last) : null,
    counts: REPORT_STATUSES.map((status) => ({ status, n: counts[status] ?? 0 })),
    totalOpen: OPEN_STATUSES.reduce((sum, s) => sum + (counts[s] ?? 0), 0),
    myOpen: Math.min(myOpen, MY_OPEN_UP_TO),
    myOpenMore: myOpen > MY_OPEN_UP_TO,
    reviewers: reviewers.map((r) => ({ id: r.id, username: r.username })),
  };
}
