import { sql, type Kysely } from 'kysely';

// Retention with crypto-shredding (server/core/retention). A closed case past its retention period
// loses every key grant and every sealed column; the reports row stays as a tombstone of triage
// metadata. payload_sealed stays not null (every reader expects bytes) and is emptied to zero bytes,
// which the check below allows only once shredded_at is set.
//
// A legal hold suspends deletion. Its reason is a code from a fixed list, never free text, so the
// hold adds no content to the plaintext columns; who set it and when are kept beside it.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table reports add column shredded_at timestamptz`.execute(db);
  await sql`alter table reports add constraint reports_payload_until_shredded check (octet_length(payload_sealed) > 0 or shredded_at is not null)`.execute(db);
  await sql`alter table reports add column legal_hold_reason text check (legal_hold_reason in ('litigation', 'authority_request', 'internal_investigation', 'regulatory'))`.execute(db);
  await sql`alter table reports add column legal_hold_set_by uuid references staff (id)`.execute(db);
  await sql`alter table reports add column legal_hold_set_at timestamptz`.execute(db);
  // The retention run's candidates: closed, not yet shredded, oldest first.
  await sql`create index reports_retention_idx on reports (closed_at) where status = 'closed' and shredded_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists reports_retention_idx`.execute(db);
  await sql`alter table reports drop column if exists legal_hold_set_at`.execute(db);
  await sql`alter table reports drop column if exists legal_hold_set_by`.execute(db);
  await sql`alter table reports drop column if exists legal_hold_reason`.execute(db);
  await sql`alter table reports drop constraint if exists reports_payload_until_shredded`.execute(db);
  await sql`alter table reports drop column if exists shredded_at`.execute(db);
}
