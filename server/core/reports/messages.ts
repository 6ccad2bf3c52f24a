/**
 * The thread between a reporter and the reviewers. Bodies are sealed under the report key K with
 * purpose 'message' and contextId `${reportId}/${messageId}`, so a body cannot be moved to another
 * message or report, and with the row's author kind and author id bound (record version 2), so a
 * message cannot be relabelled as someone else's. System notices carry only a code (no body) and
 * are translated when shown.
 */
import { randomUUID } from 'node:crypto';
import { openRecord, sealRecord, utf8, fromUtf8, type RecordBinding } from '../crypto/index.js';
import type { SystemMessageCode } from './model.js';
import { insertMessage, listMessageRows } from './message-repository.js';
import type { Executor } from '../db/executor.js';

export type MessageAuthorKind = 'reporter' | 'staff' | 'system';

export type NewMessage = {
  reportId: string;
  authorKind: MessageAuthorKind;
  /** Staff id for staff messages; null otherwise. */
  authorId?: string | null;
  /** Plain text, sealed before it is written. Exactly one of body / systemCode. */
  body?: string;
  systemCode?: SystemMessageCode;
};

export type ThreadMessage = {
  id: string;
  authorKind: MessageAuthorKind;
  authorId: string | null;
  systemCode: string | null;
  /** Decrypted body; null for system notices. */
  body: string | null;
  createdAt: Date;
  readByReporterAt: Date | null;
  readByStaffAt: Date | null;
};

/** Appends one message (in the caller's transaction) and returns its id. */
export async function appendMessage(trx: Executor, message: NewMessage, reportKey: Uint8Array): Promise<string> {
  const hasBody = typeof message.body === 'string';
  if (hasBody === (message.systemCode !== undefined)) throw new TypeError('appendMessage: give exactly one of body or systemCode');
  const id = randomUUID();
  await insertMessage(trx, {
    id,
    reportId: message.reportId,
    authorKind: message.authorKind,
    authorId: message.authorId ?? null,
    systemCode: message.systemCode ?? null,
    bodySealed: hasBody
      ? sealRecord(reportKey, 'message', messageContext(message.reportId, id), utf8(message.body!), messageBinding(message.authorKind, message.authorId ?? null))
      : null,
  });
  return id;
}

/** The whole thread, oldest first, decrypted with K. Throws CryptoError if any body fails to open. */
export async function listMessages(db: Executor, reportId: string, reportKey: Uint8Array): Promise<ThreadMessage[]> {
  const rows = await listMessageRows(db, reportId);
  return rows.map((row) => ({
    id: row.id,
    authorKind: row.author_kind,
    authorId: row.author_id,
    systemCode: row.system_code,
    body: row.body_sealed
      ? fromUtf8(openRecord(reportKey, 'message', messageContext(reportId, row.id), new Uint8Array(row.body_sealed), messageBinding(row.author_kind, row.author_id)))
      : null,
    createdAt: row.created_at,
    readByReporterAt: row.read_by_reporter_at,
    readByStaffAt: row.read_by_staff_at,
  }));
}

export function messageContext(reportId: string, messageId: string): string {
  return `${reportId}/${messageId}`;
}

/** What a message body is bound to: who wrote it, as the row says (an absent author id is ''). */
export function messageBinding(authorKind: string, authorId: string | null): RecordBinding {
  return { author_kind: authorKind, author_id: authorId ?? '' };
}

/**
 * The reward note shown to the reporter (`reports.reward_note_sealed`): sealed under K with purpose
 * 'message' and contextId `${reportId}/reward` — no message row has that id, so it cannot be swapped
 * with a thread message.
 */
export function sealRewardNote(reportKey: Uint8Array, reportId: string, note: string): Uint8Array {
  return sealRecord(reportKey, 'message', `${reportId}/reward`, utf8(note));
}

export function openRewardNote(reportKey: Uint8Array, reportId: string, sealed: Uint8Array): string {
  return fromUtf8(openRecord(reportKey, 'message', `${reportId}/reward`, sealed));
}
