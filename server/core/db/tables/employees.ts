import type { ColumnType, Generated } from 'kysely';
import type { Timestamp, NullableTimestamp, Bytes } from './columns.js';

// Companies, outlets, invite codes, employees and their key grants.

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
