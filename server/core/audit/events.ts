/**
 * Every audit event the product writes. Details attached to an event are plain facts (ids, codes,
 * counts, flags) — never sealed content, never a receipt, never a network address.
 */
export const AUDIT_EVENTS = [
  // staff accounts
  'staff.created',
  'staff.enrolled',
  'staff.enrolment_started',
  'staff.enrol_link_issued',
  'staff.login_succeeded',
  'staff.login_failed',
  'staff.logout',
  'staff.password_changed',
  'staff.recovered',
  'staff.deactivated',
  'keyholder.approved',
  'keyholder.fingerprint_mismatch',
  'escrow.initialised',
  'escrow.opened',
  // administration
  'settings.changed',
  // reporters
  'report.submitted',
  'report.reporter_message',
  'report.reporter_file_added',
  'report.consent_changed',
  // case work
  'case.viewed',
  'case.attachment_viewed',
  'case.acknowledged',
  'case.severity_set',
  'case.labels_set',
  'case.status_changed',
  'case.assigned',
  'case.shared',
  'case.share_revoked',
  'case.message_sent',
  'case.note_added',
  'case.info_requested',
  'case.reward_marked',
  'case.linked',
  'case.unlinked',
  'case.duplicate_closed',
  'case.custody_handed_over',
  'identity.requested',
  'identity.approved',
  'identity.denied',
  'identity.viewed',
  'custody.handed_over',
  'referral.created',
  'referral.approved',
  'referral.updated',
  'referral.bundle_exported',
  // employees and organisations
  'employee.joined',
  'employee.login_succeeded',
  'employee.login_failed',
  'employee.password_changed',
  'employee.deactivated',
  'org.created',
  'outlet.created',
  'invite.created',
  'invite.revoked',
  // statistics
  'stats.exported',
] as const;

export type AuditEvent = (typeof AUDIT_EVENTS)[number];

export type AuditDetails = Readonly<Record<string, string | number | boolean | null>>;
