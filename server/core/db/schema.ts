import type { ColumnType, Generated } from 'kysely';
import type { ReportChannel, ReportOutcome, ReportStatus, Severity } from '../reports/lifecycle.js';

/**
 * Hand-kept table types. Each interface mirrors one table created in migrations/.
 * Byte columns are `Uint8Array` (pg returns Buffer, a subclass; PGlite returns Uint8Array).
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Bytes = Uint8Array;

/** One changed setting; see server/core/settings. */
export interface SettingsTable {
  key: string;
  value: ColumnType<unknown, string, string>;
  updated_at: Timestamp;
  updated_by: string | null;
}

export interface InstallationTable {
  id: Generated<number>;
  receipt_salt: Bytes;
  escrow_public_key: Bytes | null;
  escrow_created_at: NullableTimestamp;
  receipt_kdf_cost: string | null;
  created_at: Timestamp;
}

export type SessionKind = 'staff' | 'employee' | 'reporter';

export interface SessionsTable {
  id_hash: Bytes;
  kind: SessionKind;
  principal_id: string;
  wrapped_key: Bytes | null;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  idle_seconds: number;
  expires_at: Timestamp;
}

export interface RateLimitsTable {
  bucket: string;
  key: string;
  window_start: Date;
  hits: number;
  /** Two windows after window_start: no sliding count reads the row after that. */
  expires_at: Date;
}

export type SignInFailureReason = 'unknown_account' | 'inactive' | 'password';

/** Failed sign-ins per account, hour and reason, until housekeeping writes them to the audit log. */
export interface SignInFailuresTable {
  principal_kind: 'staff' | 'employee';
  principal_id: string | null;
  window_start: Date;
  reason: SignInFailureReason;
  failures: number;
}

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

export interface AuthoritiesTable {
  id: Generated<string>;
  name: string;
  public_key: Bytes;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
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
}

export type ReferralChannel = 'hotline_12339' | 'web_12339' | 'state_security_bureau' | 'police_110' | 'other';

export interface ReferralsTable {
  id: string;
  report_id: string;
  channel: ReferralChannel;
  referred_at: Timestamp;
  identity_shared: ColumnType<boolean, boolean | undefined, boolean>;
  status: ColumnType<'pending_approval' | 'referred', 'pending_approval' | 'referred' | undefined, 'pending_approval' | 'referred'>;
  details_sealed: Bytes;
  created_by: string;
  approved_by: string | null;
  created_at: Timestamp;
  /** What the receiving body did with it (migration 1900); the reference is sealed under KN. */
  outcome: ReferralOutcome | null;
  outcome_on: ColumnType<string | null, string | null | undefined, string | null>;
  outcome_reference_sealed: Bytes | null;
  outcome_recorded_by: string | null;
  outcome_recorded_at: NullableTimestamp;
}

export type ReferralOutcome = 'case_opened' | 'risk_removed' | 'not_pursued';

export interface ReferralUpdatesTable {
  id: string;
  referral_id: string;
  body_sealed: Bytes;
  created_by: string;
  created_at: Timestamp;
}

export interface OrganisationsTable {
  id: Generated<string>;
  name: string;
  created_at: Timestamp;
}

export interface OutletsTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
  province: string;
  city: string;
  created_at: Timestamp;
}

export interface InvitesTable {
  id: Generated<string>;
  outlet_id: string;
  code_hash: Bytes;
  expires_at: Timestamp;
  max_uses: number;
  uses: ColumnType<number, number | undefined, number>;
  revoked_at: NullableTimestamp;
  created_by: string | null;
  created_at: Timestamp;
}

export interface EmployeesTable {
  id: string;
  outlet_id: string;
  login_lookup: Bytes;
  /**
   * 1: HMAC of the phone (before 2026-11-24, replaced at the next sign-in); 2: argon2id of the phone;
   * 3: argon2id of the version-1 HMAC (`employee:harden-lookups`), replaced at the next sign-in.
   */
  login_lookup_version: 1 | 2 | 3;
  password_hash: string;
  kek_salt: Bytes;
  kek_cost: string | null;
  public_key: Bytes;
  wrapped_private_key: Bytes;
  identity_sealed: Bytes;
  /** Tips filed before migration 1400: their ids sealed to public_key, tagged at the next sign-in. */
  pending_tips_sealed: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
  status: ColumnType<'active' | 'deactivated', 'active' | 'deactivated' | undefined, 'active' | 'deactivated'>;
  created_at: Timestamp;
  deactivated_at: NullableTimestamp;
}

export interface EmployeeKeyGrantsTable {
  id: Generated<string>;
  employee_id: string;
  recipient_kind: 'staff' | 'escrow' | 'employee';
  recipient_id: string | null;
  sealed_key: Bytes;
  created_at: Timestamp;
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

/** When each scheduled job is next due; see server/core/maintenance/runner.ts. */
export interface ScheduledJobsTable {
  name: string;
  next_run_at: Timestamp;
  last_run_at: NullableTimestamp;
  last_instance: string | null;
  runs: Generated<number>;
}

export type AlertDigest = 'immediate' | 'hourly' | 'daily';
export type AlertChannelKind = 'wecom' | 'dingtalk' | 'feishu';
export type AlertStatus = 'pending' | 'sending' | 'delivered' | 'failed';

/** A group-robot webhook; the URL and signing secret are sealed (see server/core/alerts/channels.ts). */
export interface AlertChannelsTable {
  id: Generated<string>;
  kind: AlertChannelKind;
  name: string;
  config_sealed: Bytes;
  /** The webhook's host and the last characters of its token, to tell channels apart. */
  url_hint: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One alert to deliver to one person or one channel; content-free (see server/core/alerts). */
export interface AlertOutboxTable {
  id: Generated<string>;
  event: string;
  priority: ColumnType<number, number | undefined, number>;
  transport: 'email' | 'webhook';
  staff_id: string | null;
  channel_id: string | null;
  report_id: string | null;
  case_number: string | null;
  severity: string | null;
  due_kind: string | null;
  due_at: NullableTimestamp;
  stage: string | null;
  count: number | null;
  digest: 'hourly' | 'daily' | null;
  dedupe_key: string | null;
  status: ColumnType<AlertStatus, AlertStatus | undefined, AlertStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  locked_until: NullableTimestamp;
  locked_by: string | null;
  last_error: string | null;
  created_at: Timestamp;
  delivered_at: NullableTimestamp;
}

/** Hashes of spent one-time tokens of the public report form (migrations/20261202_1700). */
export interface UsedSubmissionTokensTable {
  token_hash: Uint8Array;
  used_on: ColumnType<Date | string, string | undefined, string>;
}

export interface DB {
  scheduled_jobs: ScheduledJobsTable;
  installation: InstallationTable;
  settings: SettingsTable;
  sessions: SessionsTable;
  rate_limits: RateLimitsTable;
  sign_in_failures: SignInFailuresTable;
  staff: StaffTable;
  audit_log: AuditLogTable;
  reports: ReportsTable;
  report_key_grants: ReportKeyGrantsTable;
  report_blind_indexes: ReportBlindIndexesTable;
  report_links: ReportLinksTable;
  messages: MessagesTable;
  notes: NotesTable;
  attachments: AttachmentsTable;
  attachment_chunks: AttachmentChunksTable;
  authorities: AuthoritiesTable;
  identity_requests: IdentityRequestsTable;
  referrals: ReferralsTable;
  referral_updates: ReferralUpdatesTable;
  organisations: OrganisationsTable;
  outlets: OutletsTable;
  invites: InvitesTable;
  employees: EmployeesTable;
  employee_key_grants: EmployeeKeyGrantsTable;
  staff_queue_counts: StaffQueueCountsTable;
  staff_queue_count_deltas: StaffQueueCountDeltasTable;
  alert_channels: AlertChannelsTable;
  alert_outbox: AlertOutboxTable;
  reward_claims: RewardClaimsTable;
  case_credits: CaseCreditsTable;
  used_submission_tokens: UsedSubmissionTokensTable;
}

/** A reporter's claim on a reward (migration 1900, docs/crypto.md §4.10). */
export interface RewardClaimsTable {
  id: Generated<string>;
  report_id: string;
  kind: 'code' | 'identity';
  salt: Bytes | null;
  commitment: Bytes | null;
  identity_sealed: Bytes | null;
  created_at: Timestamp;
}

/** A company (or outlet) credited on a case for removing a risk on its own initiative. */
export interface CaseCreditsTable {
  id: Generated<string>;
  report_id: string;
  organisation_id: string;
  outlet_id: string | null;
  credited_by: string;
  created_at: Timestamp;
}
