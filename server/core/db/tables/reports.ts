import type { ColumnType, Generated } from 'kysely';
import type { ReportChannel, ReportOutcome, ReportStatus, Severity } from '../../reports/lifecycle.js';
import type { Timestamp, NullableTimestamp, Bytes } from './columns.js';

// Reports and what hangs off them: key grants, blind indexes, links, messages, notes, files, identity requests.

export type ConsentLevel = 'none' | 'confidential' | 'share_with_authorities';

export interface ReportsTable {
  id: string;
  case_number: string;
  channel: ReportChannel;
  status: ColumnType<ReportStatus, ReportStatus | undefined, ReportStatus>;
  outcome: ReportOutcome | null;
  severity: ColumnType<Severity, Severity | undefined, Severity>;
  categories: string[];
  province: string | null;
  immediate_danger: ColumnType<boolean, boolean | undefined, boolean>;
  assignee_id: string | null;
  labels: ColumnType<string[], string[] | undefined, string[]>;
  attachment_count: ColumnType<number, number | undefined, number>;
  identity_present: ColumnType<boolean, boolean | undefined, boolean>;
  consent_level: ColumnType<ConsentLevel, ConsentLevel | undefined, ConsentLevel>;
  reward_eligible: ColumnType<boolean, boolean | undefined, boolean>;
  link_count: ColumnType<number, number | undefined, number>;
  referral_status: 'pending_approval' | 'referred' | 'updated' | null;
  duplicate_of: string | null;
  /** Zero bytes once the case is shredded (migration 20261202_1600, server/core/retention). */
  payload_sealed: Bytes;
  identity_sealed: Bytes | null;
  reward_note_sealed: Bytes | null;
  reporter_public_key: Bytes;
  receipt_lookup_hash: Bytes | null;
  reporter_wrapped_private_key: Bytes | null;
  /** Employee channel: HMAC(tip secret, ordinal), which only the employee can recompute (migration 1400). */
  employee_tip_tag: Bytes | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  acknowledged_at: NullableTimestamp;
  triage_due_at: Timestamp;
  feedback_due_at: Timestamp;
  last_reporter_activity_at: NullableTimestamp;
  closed_at: NullableTimestamp;
  /** The reporter asked for protection (migration 1900). */
  protection_requested_at: NullableTimestamp;
  /** When a reviewer first wrote to the reporter (migration 20261202_1400); statistics only. */
  first_feedback_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The last time a reviewer wrote to the reporter (migration 20261202_2000); the feedback clock starts there. */
  last_feedback_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Since when a referral waits for its second approval, or null (migration 20261202_2000). */
  referral_pending_since: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Generated (migration 0005): triage deadline while new, feedback deadline while open, null once closed. */
  next_due_at: ColumnType<Date | null, never, never>;
  /** Generated (migration 0005): critical 3, high 2, normal 1, low 0. */
  severity_weight: ColumnType<number, never, never>;
  /** Retention (migration 20261202_1600): when the keys and sealed data were destroyed; the row is then a tombstone. */
  shredded_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** A legal hold suspends retention: a reason code (never free text), who set it and when. */
  legal_hold_reason: ColumnType<LegalHoldReason | null, LegalHoldReason | null | undefined, LegalHoldReason | null>;
  legal_hold_set_by: ColumnType<string | null, string | null | undefined, string | null>;
  legal_hold_set_at: NullableTimestamp;
}

export type LegalHoldReason = 'litigation' | 'authority_request' | 'internal_investigation' | 'regulatory';

export type KeyKind = 'report' | 'notes' | 'identity';

export interface ReportKeyGrantsTable {
  id: Generated<string>;
  report_id: string;
  key_kind: KeyKind;
  recipient_kind: 'staff' | 'escrow' | 'reporter';
  recipient_id: string | null;
  sealed_key: Bytes;
  granted_by: string | null;
  created_at: Timestamp;
}

export interface ReportBlindIndexesTable {
  report_id: string;
  kind: 'waybill' | 'phone';
  digest: Bytes;
}

export interface ReportLinksTable {
  report_a: string;
  report_b: string;
  reason: 'waybill' | 'phone' | 'manual';
  created_by: string | null;
  created_at: Timestamp;
}

export interface MessagesTable {
  id: string;
  /** Insertion order (identity column); lists sort by it. */
  seq: Generated<string>;
  report_id: string;
  author_kind: 'reporter' | 'staff' | 'system';
  author_id: string | null;
  system_code: string | null;
  body_sealed: Bytes | null;
  created_at: Timestamp;
  read_by_reporter_at: NullableTimestamp;
  read_by_staff_at: NullableTimestamp;
}

export interface NotesTable {
  id: string;
  /** Insertion order (identity column); lists sort by it. */
  seq: Generated<string>;
  report_id: string;
  author_id: string;
  body_sealed: Bytes;
  created_at: Timestamp;
}

export interface AttachmentsTable {
  id: string;
  /** Insertion order (identity column); lists sort by it. */
  seq: Generated<string>;
  report_id: string | null;
  message_id: string | null;
  uploaded_by: 'reporter' | 'staff';
  meta_sealed: Bytes;
  chunk_count: ColumnType<number, number | undefined, number>;
  complete: ColumnType<boolean, boolean | undefined, boolean>;
  staging_expires_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface AttachmentChunksTable {
  attachment_id: string;
  seq: number;
  data: Bytes;
}

export interface IdentityRequestsTable {
  id: string;
  report_id: string;
  requester_id: string;
  reason_sealed: Bytes;
  status: ColumnType<'pending' | 'approved' | 'denied', 'pending' | 'approved' | 'denied' | undefined, 'pending' | 'approved' | 'denied'>;
  decided_by: string | null;
  decision_reason_sealed: Bytes | null;
  created_at: Timestamp;
  decided_at: NullableTimestamp;
  /** The report's channel, province and category set, kept equal by triggers (migration 20261204_1200) for filtered statistics. */
  channel: ColumnType<ReportChannel, never, never>;
  province: ColumnType<string | null, never, never>;
  categories: ColumnType<string[], never, never>;
}
