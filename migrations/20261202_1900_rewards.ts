import { sql, type Kysely } from 'kysely';

// Rewards and protection (seed 004 art. 38).
// - referrals.outcome: what the receiving body did with a referral (plain: statistics and the
//   reporter's timeline need it); its reference is sealed under KN like the referral's details.
// - reward_claims: the reporter's claim on a reward-eligible case. A 'code' claim keeps only the salt
//   and the commitment to a code the reporter alone saw (docs/crypto.md §4.8); an 'identity' claim
//   keeps the identity the reporter chose to reveal for the reward, sealed under KI (custodians and
//   the reporter). One claim of each kind per case; a new code replaces the old commitment.
// - reports.protection_requested_at: the reporter asked for protection (art. 38 para. 2).
// - case_credits: a company or outlet credited for removing a risk on its own initiative (art. 38 (4)).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table referrals
      add column outcome text check (outcome in ('case_opened', 'risk_removed', 'not_pursued')),
      add column outcome_on date,
      add column outcome_reference_sealed bytea,
      add column outcome_recorded_by uuid references staff (id),
      add column outcome_recorded_at timestamptz`.execute(db);
  await sql`alter table reports add column protection_requested_at timestamptz`.execute(db);
  await sql`
    create table reward_claims (
      id uuid primary key default gen_random_uuid(),
      report_id uuid not null references reports (id) on delete cascade,
      kind text not null check (kind in ('code', 'identity')),
      salt bytea,
      commitment bytea,
      identity_sealed bytea,
      created_at timestamptz not null default now(),
      unique (report_id, kind),
      check ((kind = 'code') = (salt is not null and commitment is not null)),
      check ((kind = 'identity') = (identity_sealed is not null))
    )`.execute(db);
  await sql`
    create table case_credits (
      id uuid primary key default gen_random_uuid(),
      report_id uuid not null references reports (id) on delete cascade,
      organisation_id uuid not null references organisations (id),
      outlet_id uuid references outlets (id),
      credited_by uuid not null references staff (id),
      created_at timestamptz not null default now(),
      unique (report_id, organisation_id)
    )`.execute(db);
  await sql`create index case_credits_organisation on case_credits (organisation_id, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists case_credits`.execute(db);
  await sql`drop table if exists reward_claims`.execute(db);
  await sql`alter table reports drop column if exists protection_requested_at`.execute(db);
  await sql`
    alter table referrals
      drop column if exists outcome, drop column if exists outcome_on, drop column if exists outcome_reference_sealed,
      drop column if exists outcome_recorded_by, drop column if exists outcome_recorded_at`.execute(db);
}
