/**
 * The sealed shapes of a report: what goes inside `payload_sealed`, `identity_sealed`, a file's
 * `meta_sealed` and `reward_note_sealed`. These records are encrypted with the report's keys before
 * they reach the database (docs/crypto.md §4.2); nothing here is ever stored in clear.
 *
 * Plaintext triage metadata (categories, province, severity, consent level…) lives in columns of
 * `reports`, not here: see DESIGN §3 for what may be plain.
 */
import type { ConsentLevel } from '../db/schema.js';

export const PAYLOAD_VERSION = 1 as const;

export const PARCEL_DIRECTIONS = ['inbound_international', 'outbound_international', 'domestic', 'unknown'] as const;
export type ParcelDirection = (typeof PARCEL_DIRECTIONS)[number];

export const NOTICED_HOW = ['acceptance_inspection', 'xray_screening', 'sorting', 'delivery', 'sender_behaviour', 'other'] as const;
export type NoticedHow = (typeof NOTICED_HOW)[number];

export const PARCEL_LOCATIONS = ['held', 'dispatched', 'delivered', 'unknown'] as const;
export type ParcelLocation = (typeof PARCEL_LOCATIONS)[number];

/** The sender or recipient as registered on the waybill. */
export type PartyDetails = {
  name?: string;
  phone?: string;
  address?: string;
};

/** Parcel-specific answers (DESIGN §7). Every field is optional except the waybill list (may be empty). */
export type ParcelDetails = {
  waybillNumbers: string[];
  courierCompany?: string;
  outlet?: string;
  direction?: ParcelDirection;
  noticedHow?: NoticedHow;
  declaredContents?: string;
  suspectedContents?: string;
  parcelLocation?: ParcelLocation;
  sender?: PartyDetails;
  recipient?: PartyDetails;
  destination?: string;
  /** As typed (a `datetime-local` value, Beijing time); sealed, so it is never a plaintext column. */
  observedAt?: string;
  observedPlace?: string;
};

/** A file that belongs to the report. Its name, type, size and key are in a separate `file-meta` record. */
export type AttachmentRef = { id: string };

/**
 * The report itself: sealed under K with purpose 'payload' and contextId = report id.
 * Immutable after intake; later files and words from the reporter are messages and attachments.
 */
export type ReportPayload = {
  version: typeof PAYLOAD_VERSION;
  categories: string[];
  description: string;
  immediateDanger: boolean;
  parcel: ParcelDetails;
  /** Files sent with the report at intake (ids of `attachments` rows). */
  attachments: AttachmentRef[];
};

export type IdentityConsent = Exclude<ConsentLevel, 'none'>;

/**
 * The reporter's identity: sealed under KI (custodians and the reporter only) with purpose
 * 'identity' and contextId = report id. `consent` is also mirrored in the plaintext column
 * `reports.consent_level` so the queue can show it without opening KI.
 */
export type IdentityRecord = {
  name: string;
  phone?: string;
  idNumber?: string;
  contact?: string;
  employee?: { number: string; company: string; outlet: string };
  consent: IdentityConsent;
};

/**
 * One file's metadata: sealed under K with purpose 'file-meta' and contextId
 * `${reportId}/${attachmentId}` (while staged, under a staging key with purpose 'staging' and
 * contextId = attachment id). `fileKey` (base64) opens the chunks with `streamAttachment`.
 * `sha256` and `size` describe the stored (cleaned) bytes, which is what reviewers download.
 */
export type AttachmentMeta = {
  fileKey: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
  /** True when the file was re-encoded and all embedded metadata (EXIF, GPS, XMP, ICC, comments) dropped. */
  metadataRemoved: boolean;
};

/** System notices in the thread; rendered through i18n (`followup.system.<code>`) on the reporter side. */
export const SYSTEM_MESSAGE_CODES = ['ack', 'identity_accessed', 'status_changed', 'info_requested', 'referred', 'reward', 'protection_requested', 'outcome_case_opened', 'outcome_risk_removed', 'outcome_not_pursued'] as const;
export type SystemMessageCode = (typeof SYSTEM_MESSAGE_CODES)[number];

/** The 34 provincial-level divisions; codes are plaintext triage metadata, names are in i18n `intake.provinces.<code>`. */
export const PROVINCE_CODES = [
  'BJ', 'TJ', 'HE', 'SX', 'NM', 'LN', 'JL', 'HL', 'SH', 'JS', 'ZJ', 'AH', 'FJ', 'JX', 'SD', 'HA', 'HB',
  'HN', 'GD', 'GX', 'HI', 'CQ', 'SC', 'GZ', 'YN', 'XZ', 'SN', 'GS', 'QH', 'NX', 'XJ', 'TW', 'HK', 'MO',
] as const;
export type ProvinceCode = (typeof PROVINCE_CODES)[number];

export function isProvinceCode(value: unknown): value is ProvinceCode {
  return typeof value === 'string' && (PROVINCE_CODES as readonly string[]).includes(value);
}

/** Consent only ever moves up this ladder from the reporter's side (see followup). */
export const CONSENT_ORDER: readonly ConsentLevel[] = ['none', 'confidential', 'share_with_authorities'];

export function isConsentUpgrade(from: ConsentLevel, to: ConsentLevel): boolean {
  return CONSENT_ORDER.indexOf(to) > CONSENT_ORDER.indexOf(from);
}
