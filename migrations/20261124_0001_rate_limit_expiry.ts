import { sql, type Kysely } from 'kysely';

// Rate-limit counters are now keyed per bucket and per window day, and read over two windows
// (sliding counts). Each row says when it stops mattering, so housekeeping drops a 15-minute
// counter after 30 minutes instead of keeping every counter for a day. Counters written under the
// old key scheme can never be read again: they are dropped, which resets every limit once.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`delete from rate_limits`.execute(db);
  await sql`alter table rate_limits add column expires_at timestamptz not null`.execute(db);
  await sql`create index rate_limits_expires_idx on rate_limits (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from rate_limits`.execute(db);
  await sql`drop index if exists rate_limits_expires_idx`.execute(db);
  await sql`alter table rate_limits drop column if exists expires_at`.execute(db);
}
