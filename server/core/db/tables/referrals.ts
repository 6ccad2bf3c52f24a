import type { ColumnType, Generated } from 'kysely';
import type { Timestamp, NullableTimestamp, Bytes } from './columns.js';

// Authorities, referrals to them, their updates and outcomes, reward claims and company credits.

export interface AuthoritiesTable {
  id: Generated<string>;
  name: string;
  public_key: Bytes;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
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
