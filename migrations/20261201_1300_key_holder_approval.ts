import { sql, type Kysely } from 'kysely';

// Key-holder approval: a reviewer receives no report or identity key until a custodian has
// approved their public key (or the operator created the account at the server's command line).
// Reviewers who already hold keys at this upgrade, and pending accounts the command line created,
// are approved here as 'migration'; the application writes one audit row for each of them on its
// next start (key_approval_audited = false marks the rows still to record).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table staff
      add column key_approval text check (key_approval in ('custodian', 'cli', 'migration')),
      add column key_approved_by uuid references staff (id),
      add column key_approved_at timestamptz,
      add column key_holder_since timestamptz,
      add column key_holders_seen_at timestamptz,
      add column key_approval_audited boolean not null default true,
      add constraint staff_key_approval_not_self check (key_approved_by is distinct from id),
      add constraint staff_key_approval_complete check ((key_approval is null) = (key_approved_at is null))`.execute(db);
  await sql`
    update staff set key_approval = 'migration', key_approved_at = now(), key_approval_audited = false,
      key_holder_since = case when status = 'active' then created_at end
    where role = 'reviewer' and (
      (status = 'active' and public_key is not null)
      or (status = 'pending' and exists (
        select 1 from audit_log a where a.event = 'staff.created' and a.subject_id = staff.id and a.actor_kind = 'cli')))`.execute(db);
  // Nobody is shown the key holders who were already there as new.
  await sql`update staff set key_holders_seen_at = now()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table staff
      drop constraint if exists staff_key_approval_complete,
      drop constraint if exists staff_key_approval_not_self,
      drop column if exists key_approval_audited,
      drop column if exists key_holders_seen_at,
      drop column if exists key_holder_since,
      drop column if exists key_approved_at,
      drop column if exists key_approved_by,
      drop column if exists key_approval`.execute(db);
}
