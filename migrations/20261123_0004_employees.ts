import { sql, type Kysely } from 'kysely';

// Courier companies, their outlets (网点), invite codes and delivery-employee accounts.
// Employees' names, numbers and phones are sealed; the login identifier is a keyed hash.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table organisations (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index organisations_name_idx on organisations (lower(name))`.execute(db);
  await sql`
    create table outlets (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      name text not null,
      province text not null,
      city text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index outlets_org_idx on outlets (organisation_id)`.execute(db);
  await sql`
    create table invites (
      id uuid primary key default gen_random_uuid(),
      outlet_id uuid not null references outlets (id),
      code_hash bytea not null unique,
      expires_at timestamptz not null,
      max_uses integer not null check (max_uses > 0),
      uses integer not null default 0,
      revoked_at timestamptz,
      created_by uuid references staff (id),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table employees (
      id uuid primary key,
      outlet_id uuid not null references outlets (id),
      login_lookup bytea not null unique,
      password_hash text not null,
      kek_salt bytea not null,
      public_key bytea not null,
      wrapped_private_key bytea not null,
      identity_sealed bytea not null,
      status text not null default 'active' check (status in ('active', 'deactivated')),
      created_at timestamptz not null default now(),
      deactivated_at timestamptz
    )`.execute(db);
  // The employee identity key is sealed to the employee and to each custodian.
  await sql`
    create table employee_key_grants (
      id uuid primary key default gen_random_uuid(),
      employee_id uuid not null references employees (id) on delete cascade,
      recipient_kind text not null check (recipient_kind in ('staff', 'escrow', 'employee')),
      recipient_id uuid references staff (id),
      sealed_key bytea not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index employee_key_grants_unique_idx on employee_key_grants
    (employee_id, recipient_kind, recipient_id) nulls not distinct`.execute(db);
  await sql`alter table reports add constraint reports_employee_fk foreign key (employee_id) references employees (id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table reports drop constraint if exists reports_employee_fk`.execute(db);
  for (const table of ['employee_key_grants', 'employees', 'invites', 'outlets', 'organisations']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
