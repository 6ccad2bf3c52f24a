import type { ColumnType, Generated } from 'kysely';
import type { ReportStatus } from '../../reports/lifecycle.js';
import type { Timestamp, NullableTimestamp, Bytes } from './columns.js';
import type { AlertDigest } from './alerts.js';

// Staff accounts, the audit log and the per-reviewer queue counters.

/** Analysts (migration 20261202_1400) see statistics only: no case, no queue, no key. */
export type StaffRole = 'admin' | 'reviewer' | 'analyst';
export type StaffStatus = 'pending' | 'active' | 'deactivated';

export interface StaffTable {
  id: Generated<string>;
  username: string;
  role: StaffRole;
  is_custodian: ColumnType<boolean, boolean | undefined, boolean>;
  status: ColumnType<StaffStatus, StaffStatus | undefined, StaffStatus>;
  password_hash: string | null;
  kek_salt: Bytes | null;
  kek_cost: string | null;
  public_key: Bytes | null;
  wrapped_private_key: Bytes | null;
  recovery_wrapped_private_key: Bytes | null;
  totp_secret_sealed: Bytes | null;
  totp_last_step: number | null;
  enrol_token_hash: Bytes | null;
  enrol_expires_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  deactivated_at: NullableTimestamp;
  key_approval: KeyApproval | null;
  key_approved_by: string | null;
  key_approved_at: NullableTimestamp;
  key_holder_since: NullableTimestamp;
  key_holders_seen_at: NullableTimestamp;
  key_approval_audited: ColumnType<boolean, boolean | undefined, boolean>;
  /** Where alerts reach this person; null means e-mail alerts are off for them. */
  email: ColumnType<string | null, string | null | undefined, string | null>;
  /** How non-critical new tips reach them: at once or in an hourly or daily digest. */
  alert_digest: ColumnType<AlertDigest, AlertDigest | undefined, AlertDigest>;
}

/** Who approved a reviewer's key: a custodian in the workspace, the operator's CLI, or the upgrade that introduced approval. */
export type KeyApproval = 'custodian' | 'cli' | 'migration';

export type ActorKind = 'staff' | 'employee' | 'reporter' | 'system' | 'cli';

export interface AuditLogTable {
  seq: number;
  occurred_at: Timestamp;
  actor_kind: ActorKind;
  actor_id: string | null;
  event: string;
  case_id: string | null;
  subject_id: string | null;
  details: ColumnType<Record<string, unknown>, string, never>;
  prev_hash: Bytes;
  hash: Bytes;
  /** 1: unkeyed SHA-256 (older rows); 2: HMAC with the audit chain key. */
  chain_version: number;
}

/** Per staff member and status, how many reports they hold a 'report' grant for (kept by triggers). */
export interface StaffQueueCountsTable {
  staff_id: string;
  status: ReportStatus;
  n: number;
}

/** Signed changes to staff_queue_counts appended by triggers; folded into the totals by the queue. */
export interface StaffQueueCountDeltasTable {
  id: Generated<number>;
  staff_id: string;
  status: ReportStatus;
  delta: number;
}
