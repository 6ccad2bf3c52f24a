import { sql, type Kysely } from 'kysely';

// The organisation's logo (admin console), shown in page headers, on referral sheets and posters.
// One row at most; the image is re-encoded as PNG on upload (no metadata survives) and addressed by
// its digest, so browsers may keep it for good and a new logo is a new address.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table organisation_logo (
      id smallint primary key default 1 check (id = 1),
      image bytea not null check (octet_length(image) <= 524288),
      digest text not null check (digest ~ '^[0-9a-f]{32}$'),
      width integer not null check (width > 0),
      height integer not null check (height > 0),
      updated_at timestamptz not null default now(),
      updated_by uuid
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists organisation_logo`.execute(db);
}
