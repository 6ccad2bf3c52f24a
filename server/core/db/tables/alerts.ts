import type { ColumnType, Generated } from 'kysely';
import type { Timestamp, NullableTimestamp, Bytes } from './columns.js';

// Alert channels and the alert outbox.

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
