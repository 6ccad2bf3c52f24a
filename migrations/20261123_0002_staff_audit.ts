import { sql, type Kysely } from 'kysely';

// Staff accounts with sealed keys, the organisation escrow key, and the append-only audit log.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table installation add column escrow_public_key bytea`.execute(db);
  await sql`alter table installation add column escrow_created_at timestamptz`.execute(db);

  await sql`
    create table staff (
      id uuid primary key default gen_random_uuid(),
      username text not null,
      role text not null check (role in ('admin', 'reviewer')),
      is_custodian boolean not null default false,
      status text not null default 'pending' check (status in ('pending', 'active', 'deactivated')),
      -- argon2id verifier; the key-encryption key is derived separately from kek_salt
      password_hash text,
      kek_salt bytea,
      public_key bytea,
      wrapped_private_key bytea,
      recovery_wrapped_private_key bytea,
      -- TOTP secret sealed to the staff member's own public key: a database thief cannot mint codes
      totp_secret_sealed bytea,
      totp_last_step bigint,
      enrol_token_hash bytea,
      enrol_expires_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      deactivated_at timestamptz
    )`.execute(db);
  await sql`create unique index staff_username_idx on staff (lower(username))`.execute(db);
  await sql`create unique index staff_enrol_token_idx on staff (enrol_token_hash) where enrol_token_hash is not null`.execute(db);

  // Hash-chained, append-only. hash = SHA-256(prev_hash || canonical JSON of the row's fields).
  // Rows never hold sealed content or anyone's network address.
  await sql`
    create table audit_log (
      seq bigint primary key,
      occurred_at timestamptz not null,
      actor_kind text not null check (actor_kind in ('staff', 'employee', 'reporter', 'system', 'cli')),
      actor_id uuid,
      event text not null,
      case_id uuid,
      subject_id uuid,
      details jsonb not null default '{}'::jsonb,
      prev_hash bytea not null,
      hash bytea not null
    )`.execute(db);
  await sql`create sequence audit_log_seq`.execute(db);
  await sql`create index audit_log_case_idx on audit_log (case_id, seq) where case_id is not null`.execute(db);
  await sql`
    create function audit_log_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only';
    end
    $$`.execute(db);
  await sql`
    create trigger audit_log_no_update_delete before update or delete on audit_log
    for each row execute function audit_log_refuse_change()`.execute(db);
  await sql`
    create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_refuse_change()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists audit_log`.execute(db);
  await sql`drop function if exists audit_log_refuse_change()`.execute(db);
  await sql`drop sequence if exists audit_log_seq`.execute(db);
  await sql`drop table if exists staff`.execute(db);
  await sql`alter table installation drop column if exists escrow_created_at`.execute(db);
  await sql`alter table installation drop column if exists escrow_public_key`.execute(db);
}
