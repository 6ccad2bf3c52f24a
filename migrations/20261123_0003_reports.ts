import { sql, type Kysely } from 'kysely';

// Reports and everything hanging off them. Plaintext columns are only the triage metadata that
// DESIGN §3 allows; everything a reporter wrote is in *_sealed columns (see docs/crypto.md).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table reports (
      id uuid primary key,
      case_number text not null unique,
      channel text not null check (channel in ('public', 'employee')),
      status text not null default 'new'
        check (status in ('new', 'acknowledged', 'in_review', 'awaiting_reporter', 'referred', 'closed')),
      outcome text check (outcome in ('referred_to_authority', 'handled_internally', 'unfounded', 'duplicate',
        'insufficient_information', 'withdrawn')),
      severity text not null default 'normal' check (severity in ('critical', 'high', 'normal', 'low')),
      categories text[] not null,
      province text,
      immediate_danger boolean not null default false,
      assignee_id uuid references staff (id),
      labels text[] not null default '{}',
      attachment_count integer not null default 0,
      identity_present boolean not null default false,
      consent_level text not null default 'none' check (consent_level in ('none', 'confidential', 'share_with_authorities')),
      reward_eligible boolean not null default false,
      link_count integer not null default 0,
      referral_status text check (referral_status in ('pending_approval', 'referred', 'updated')),
      duplicate_of uuid references reports (id),
      payload_sealed bytea not null,
      identity_sealed bytea,
      reward_note_sealed bytea,
      reporter_public_key bytea not null,
      -- anonymous reporters: argon2id(receipt) lookup hash and the receipt-KEK-wrapped private key
      receipt_lookup_hash bytea unique,
      reporter_wrapped_private_key bytea,
      -- employee channel with identity attached; null for every anonymous report
      employee_id uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      acknowledged_at timestamptz,
      triage_due_at timestamptz not null,
      feedback_due_at timestamptz not null,
      last_reporter_activity_at timestamptz,
      closed_at timestamptz
    )`.execute(db);
  await sql`create index reports_queue_idx on reports (created_at desc, id desc)`.execute(db);
  await sql`create index reports_status_idx on reports (status, created_at desc, id desc)`.execute(db);
  await sql`create index reports_assignee_idx on reports (assignee_id, created_at desc, id desc) where assignee_id is not null`.execute(db);
  await sql`create index reports_triage_due_idx on reports (triage_due_at) where status = 'new'`.execute(db);
  await sql`create index reports_categories_idx on reports using gin (categories)`.execute(db);
  await sql`create index reports_employee_idx on reports (employee_id, created_at desc) where employee_id is not null`.execute(db);

  // Key grants: one sealed copy of a report's key per recipient.
  // key_kind: report = K (payload, messages, files), notes = KN (staff only), identity = KI.
  await sql`
    create table report_key_grants (
      id uuid primary key default gen_random_uuid(),
      report_id uuid not null references reports (id) on delete cascade,
      key_kind text not null check (key_kind in ('report', 'notes', 'identity')),
      recipient_kind text not null check (recipient_kind in ('staff', 'escrow', 'reporter')),
      recipient_id uuid references staff (id),
      sealed_key bytea not null,
      granted_by uuid references staff (id),
      created_at timestamptz not null default now(),
      check ((recipient_kind = 'staff') = (recipient_id is not null))
    )`.execute(db);
  await sql`create unique index report_key_grants_unique_idx on report_key_grants
    (report_id, key_kind, recipient_kind, recipient_id) nulls not distinct`.execute(db);
  await sql`create index report_key_grants_recipient_idx on report_key_grants (recipient_id, key_kind, report_id)
    where recipient_kind = 'staff'`.execute(db);

  // Blind indexes (HMAC of a normalised waybill or phone number) for linking reports.
  await sql`
    create table report_blind_indexes (
      report_id uuid not null references reports (id) on delete cascade,
      kind text not null check (kind in ('waybill', 'phone')),
      digest bytea not null,
      primary key (report_id, kind, digest)
    )`.execute(db);
  await sql`create index report_blind_indexes_digest_idx on report_blind_indexes (kind, digest)`.execute(db);

  await sql`
    create table report_links (
      report_a uuid not null references reports (id) on delete cascade,
      report_b uuid not null references reports (id) on delete cascade,
      reason text not null check (reason in ('waybill', 'phone', 'manual')),
      created_by uuid references staff (id),
      created_at timestamptz not null default now(),
      primary key (report_a, report_b),
      check (report_a < report_b)
    )`.execute(db);
  await sql`create index report_links_b_idx on report_links (report_b)`.execute(db);

  // Thread between reporter and reviewers. Text is sealed under K; system notices carry a code.
  await sql`
    create table messages (
      id uuid primary key,
      report_id uuid not null references reports (id) on delete cascade,
      author_kind text not null check (author_kind in ('reporter', 'staff', 'system')),
      author_id uuid references staff (id),
      system_code text,
      body_sealed bytea,
      created_at timestamptz not null default now(),
      read_by_reporter_at timestamptz,
      read_by_staff_at timestamptz,
      check ((system_code is null) <> (body_sealed is null))
    )`.execute(db);
  await sql`create index messages_report_idx on messages (report_id, created_at)`.execute(db);

  await sql`
    create table notes (
      id uuid primary key,
      report_id uuid not null references reports (id) on delete cascade,
      author_id uuid not null references staff (id),
      body_sealed bytea not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index notes_report_idx on notes (report_id, created_at)`.execute(db);

  // Files. Chunks are secretstream ciphertext under a per-file key F; F, name, type, size and
  // SHA-256 are in meta_sealed. Staged files (form rejected, not yet a report) have no report_id:
  // their meta is sealed under a staging key that exists only in the reporter's form.
  await sql`
    create table attachments (
      id uuid primary key,
      report_id uuid references reports (id) on delete cascade,
      message_id uuid references messages (id) on delete set null,
      uploaded_by text not null check (uploaded_by in ('reporter', 'staff')),
      meta_sealed bytea not null,
      chunk_count integer not null default 0,
      complete boolean not null default false,
      staging_expires_at timestamptz,
      created_at timestamptz not null default now(),
      check ((report_id is null) = (staging_expires_at is not null))
    )`.execute(db);
  await sql`create index attachments_report_idx on attachments (report_id, created_at) where report_id is not null`.execute(db);
  await sql`create index attachments_staging_idx on attachments (staging_expires_at) where report_id is null`.execute(db);
  await sql`
    create table attachment_chunks (
      attachment_id uuid not null references attachments (id) on delete cascade,
      seq integer not null,
      data bytea not null,
      primary key (attachment_id, seq)
    )`.execute(db);

  await sql`
    create table identity_requests (
      id uuid primary key,
      report_id uuid not null references reports (id) on delete cascade,
      requester_id uuid not null references staff (id),
      reason_sealed bytea not null,
      status text not null default 'pending' check (status in ('pending', 'approved', 'denied')),
      decided_by uuid references staff (id),
      decision_reason_sealed bytea,
      created_at timestamptz not null default now(),
      decided_at timestamptz
    )`.execute(db);
  await sql`create index identity_requests_status_idx on identity_requests (status, created_at)`.execute(db);
  await sql`create index identity_requests_report_idx on identity_requests (report_id)`.execute(db);

  // Referral to the authorities (12339 etc.). Channel, time and status are plain for the queue;
  // the reference, desk, summary and attachment list are sealed under KN.
  await sql`
    create table referrals (
      id uuid primary key,
      report_id uuid not null references reports (id) on delete cascade,
      channel text not null check (channel in ('hotline_12339', 'web_12339', 'state_security_bureau', 'police_110', 'other')),
      referred_at timestamptz not null,
      identity_shared boolean not null default false,
      status text not null default 'referred' check (status in ('pending_approval', 'referred')),
      details_sealed bytea not null,
      created_by uuid not null references staff (id),
      approved_by uuid references staff (id),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index referrals_report_idx on referrals (report_id, created_at)`.execute(db);
  await sql`
    create table referral_updates (
      id uuid primary key,
      referral_id uuid not null references referrals (id) on delete cascade,
      body_sealed bytea not null,
      created_by uuid not null references staff (id),
      created_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['referral_updates', 'referrals', 'identity_requests', 'attachment_chunks', 'attachments', 'notes', 'messages', 'report_links', 'report_blind_indexes', 'report_key_grants', 'reports']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
