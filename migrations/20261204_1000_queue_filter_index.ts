import { sql, type Kysely } from 'kysely';

// One index for the queue's filters together. A reviewer narrows the open queue by categories,
// province, severity, channel and status in any combination; with one index per filter the planner
// ANDs bitmaps that each cover a large share of the open cases (at 10 million reports, ~200,000
// entries for three categories and ~27,000 for one province) to find a few hundred matches, and the
// page grows with the archive. A multi-column GIN index answers any subset of these conditions in
// one scan that skips through the longer posting lists by the shortest one, so a combined filter
// costs about what its matches cost. GIN on plain columns needs btree_gin (a trusted contrib
// extension: the database owner may create it; the embedded database loads it, see db/index.ts).
// It covers categories alone as well, so it replaces the open-case categories index.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists btree_gin`.execute(db);
  await sql`
    create index if not exists reports_open_filter_idx on reports using gin (categories, province, severity, channel, status)
    where next_due_at is not null`.execute(db);
  await sql`drop index if exists reports_open_categories_idx`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists reports_open_categories_idx on reports using gin (categories) where next_due_at is not null`.execute(db);
  await sql`drop index if exists reports_open_filter_idx`.execute(db);
}
