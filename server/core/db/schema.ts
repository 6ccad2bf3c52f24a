import type { AlertChannelsTable, AlertOutboxTable } from './tables/alerts.js';
import type { OrganisationsTable, OutletsTable, InvitesTable, EmployeesTable, EmployeeKeyGrantsTable } from './tables/employees.js';
import type { SettingsTable, OrganisationLogoTable, InstallationTable, SessionsTable, RateLimitsTable, SignInFailuresTable, ScheduledJobsTable, UsedSubmissionTokensTable } from './tables/platform.js';
import type { AuthoritiesTable, ReferralsTable, ReferralUpdatesTable, RewardClaimsTable, CaseCreditsTable } from './tables/referrals.js';
import type { ReportsTable, ReportKeyGrantsTable, ReportBlindIndexesTable, ReportLinksTable, MessagesTable, NotesTable, AttachmentsTable, AttachmentChunksTable, IdentityRequestsTable } from './tables/reports.js';
import type { StaffTable, AuditLogTable, StaffQueueCountsTable, StaffQueueCountDeltasTable } from './tables/staff.js';

/**
 * Hand-kept table types. Each interface mirrors one table created in migrations/; the tables are
 * grouped by area in ./tables/. Byte columns are `Uint8Array` (pg returns Buffer, a subclass; PGlite
 * returns Uint8Array); timestamps are `Date` on both drivers (see ./index.ts).
 */
export type * from './tables/alerts.js';
export type * from './tables/employees.js';
export type * from './tables/platform.js';
export type * from './tables/referrals.js';
export type * from './tables/reports.js';
export type * from './tables/staff.js';

export interface DB {
  scheduled_jobs: ScheduledJobsTable;
  installation: InstallationTable;
  settings: SettingsTable;
  organisation_logo: OrganisationLogoTable;
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
