import { sql, type Kysely } from 'kysely';

// Alerts. The outbox row is written in the same transaction as the event it announces,
// so an alert is never lost and never sent for a change that rolled back. It holds no content: the
// event code, the case number and severity (both plaintext already), what is due, and a recipient.
// last_error keeps the transport's reason (an SMTP reply, an HTTP status), never a message body.
// dedupe_key makes the deadline scan idempotent: one alert per clock, stage and recipient.
// alert_channels holds the group-robot webhooks; the URL and the signing secret are sealed with a
// server subkey (docs/operations.md), so a copy of the database cannot post into the group.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table staff
      add column email text,
      add column alert_digest text not null default 'immediate' check (alert_digest in ('immediate', 'hourly', 'daily'))`.execute(db);
  await sql`
    create table alert_channels (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('wecom', 'dingtalk', 'feishu')),
      name text not null,
      config_sealed bytea not null,
      url_hint text not null,
      enabled boolean not null default true,
      created_by uuid references staff (id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table alert_outbox (
      id uuid primary key default gen_random_uuid(),
      event text not null,
      priority smallint not null default 1,
      transport text not null check (transport in ('email', 'webhook')),
      staff_id uuid references staff (id) on delete cascade,
      channel_id uuid references alert_channels (id) on delete cascade,
      report_id uuid references reports (id) on delete cascade,
      case_number text,
      severity text,
      due_kind text,
      due_at timestamptz,
      stage text,
      count integer,
      digest text check (digest in ('hourly', 'daily')),
      dedupe_key text unique,
      status text not null default 'pending' check (status in ('pending', 'sending', 'delivered', 'failed')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      locked_until timestamptz,
      locked_by text,
      last_error text,
      created_at timestamptz not null default now(),
      delivered_at timestamptz,
      check ((transport = 'email') = (staff_id is not null)),
      check ((transport = 'webhook') = (channel_id is not null))
    )`.execute(db);
  await sql`create index alert_outbox_due on alert_outbox (next_attempt_at) where status in ('pending', 'sending')`.execute(db);
  await sql`create index alert_outbox_failed on alert_outbox (created_at) where status = 'failed'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists alert_outbox`.execute(db);
  await sql`drop table if exists alert_channels`.execute(db);
  await sql`alter table staff drop column if exists alert_digest, drop column if exists email`.execute(db);
}
