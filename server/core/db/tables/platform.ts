import type { ColumnType, Generated } from 'kysely';
import type { Timestamp, NullableTimestamp, Bytes } from './columns.js';

// Settings, the organisation's logo, installation, sessions, rate limits, sign-in failures, scheduled jobs and spent form tokens.

/** One changed setting; see server/core/settings. */
export interface SettingsTable {
  key: string;
  value: ColumnType<unknown, string, string>;
  updated_at: Timestamp;
  updated_by: string | null;
}

/** The organisation's logo (migration 20261202_2100); at most one row. */
export interface OrganisationLogoTable {
  id: Generated<number>;
  image: Bytes;
  digest: string;
  width: number;
  height: number;
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

/** When each scheduled job is next due; see server/core/maintenance/runner.ts. */
export interface ScheduledJobsTable {
  name: string;
  next_run_at: Timestamp;
  last_run_at: NullableTimestamp;
  last_instance: string | null;
  runs: Generated<number>;
}

/** Hashes of spent one-time tokens of the public report form (migrations/20261202_1700). */
export interface UsedSubmissionTokensTable {
  token_hash: Uint8Array;
  used_on: ColumnType<Date | string, string | undefined, string>;
}
