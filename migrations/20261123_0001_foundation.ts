import { sql, type Kysely } from 'kysely';

// Frozen in time: migrations never import application code, so later refactors cannot change
// what an old migration does.

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row describing this installation. receipt_salt is the per-installation argon2id salt of
  // receipt-derived keys: not a secret, but it must live with the data it unlocks.
  await sql`
    create table installation (
      id smallint primary key default 1 check (id = 1),
      receipt_salt bytea not null,
      created_at timestamptz not null default now()
    )`.execute(db);

  // Server-side sessions for every kind of principal. Only a hash of the session id is kept; the
  // secret half of the cookie never reaches the database (see docs/crypto.md).
  await sql`
    create table sessions (
      id_hash bytea primary key,
      kind text not null check (kind in ('staff', 'employee', 'reporter')),
      principal_id uuid not null,
      wrapped_key bytea,
      data jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      idle_seconds integer not null check (idle_seconds > 0),
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index sessions_principal_idx on sessions (kind, principal_id)`.execute(db);
  await sql`create index sessions_expires_idx on sessions (expires_at)`.execute(db);

  // Fixed-window counters for rate limits, shared by every app instance. The key is an HMAC of
  // the client address with a daily-rotating input, never the address itself.
  await sql`
    create table rate_limits (
      bucket text not null,
      key text not null,
      window_start timestamptz not null,
      hits integer not null default 0,
      primary key (bucket, key, window_start)
    )`.execute(db);
  await sql`create index rate_limits_window_idx on rate_limits (window_start)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists rate_limits`.execute(db);
  await sql`drop table if exists sessions`.execute(db);
  await sql`drop table if exists installation`.execute(db);
}
