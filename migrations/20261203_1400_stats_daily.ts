import { sql, type Kysely } from 'kysely';

// Statistics at scale: a daily roll-up of triage metadata, so /staff/stats sums
// a few rows per Beijing day instead of reading every report in the range.
// - stats_daily: per Beijing day of receipt, the counts the page shows (tips, still open,
//   referred, closed per outcome, referred per destination), grouped by every subset of the three
//   filters (a cube of channel, province and category set): `dims` is SQL's grouping() bitmask
//   (4 = channel summed over, 2 = province, 1 = category set), so a request reads only the
//   rows of the one grouping its filters and figure need: the unfiltered page reads a handful of
//   rows per day. Plain metadata only, the same the reports row already holds in clear.
// - stats_stale_days: days whose roll-up no longer matches the reports. Triggers on reports and
//   referrals mark a day here in the same transaction as the change (a new tip, a status change,
//   a referral, a shredding that deletes referrals); the statistics service rebuilds the marked
//   days from the reports before it reads, so a figure is never stale and never a full scan.
// The migration marks every day that has reports, so the first statistics request builds the lot.
// Day = the Beijing calendar day of created_at (UTC+8, no daylight saving).

const DAY_OF = (column: string) => sql.raw(`((${column} at time zone 'UTC') + interval '8 hours')::date`);

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table stats_daily (
      day date not null,
      dims smallint not null,
      channel text,
      province text,
      categories text[],
      tips integer not null,
      open integer not null,
      referred integer not null,
      closed_referred_to_authority integer not null,
      closed_handled_internally integer not null,
      closed_unfounded integer not null,
      closed_duplicate integer not null,
      closed_insufficient_information integer not null,
      closed_withdrawn integer not null,
      to_hotline_12339 integer not null,
      to_web_12339 integer not null,
      to_state_security_bureau integer not null,
      to_police_110 integer not null,
      to_other integer not null
    )`.execute(db);
  await sql`create index stats_daily_dims_day_idx on stats_daily (dims, day)`.execute(db);
  // A province filter keeps the finer groupings (up to one row per category set and channel a day): go straight to the province's rows.
  await sql`create index stats_daily_province_idx on stats_daily (dims, province, day)`.execute(db);
  // The backlog reads every day, but only the rows with cases still open: old days are mostly closed.
  await sql`create index stats_daily_open_idx on stats_daily (dims, province, day) include (channel, categories, open) where open > 0`.execute(db);
  await sql`create table stats_stale_days (day date primary key)`.execute(db);

  await sql`
    create function stats_mark_reports_changed() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        insert into stats_stale_days (day) select distinct ${DAY_OF('created_at')} from old_rows on conflict do nothing;
      end if;
      if tg_op in ('INSERT', 'UPDATE') then
        insert into stats_stale_days (day) select distinct ${DAY_OF('created_at')} from new_rows on conflict do nothing;
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create function stats_mark_referrals_changed() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        insert into stats_stale_days (day) select distinct ${DAY_OF('r.created_at')} from old_rows x join reports r on r.id = x.report_id on conflict do nothing;
      end if;
      if tg_op in ('INSERT', 'UPDATE') then
        insert into stats_stale_days (day) select distinct ${DAY_OF('r.created_at')} from new_rows x join reports r on r.id = x.report_id on conflict do nothing;
      end if;
      return null;
    end
    $$`.execute(db);
  for (const table of ['reports', 'referrals']) {
    const fn = sql.raw(`stats_mark_${table}_changed`);
    const t = sql.raw(table);
    await sql`create trigger ${sql.raw(`stats_${table}_inserted`)} after insert on ${t} referencing new table as new_rows for each statement execute function ${fn}()`.execute(db);
    await sql`create trigger ${sql.raw(`stats_${table}_updated`)} after update on ${t} referencing old table as old_rows new table as new_rows for each statement execute function ${fn}()`.execute(db);
    await sql`create trigger ${sql.raw(`stats_${table}_deleted`)} after delete on ${t} referencing old table as old_rows for each statement execute function ${fn}()`.execute(db);
  }
  await sql`insert into stats_stale_days (day) select distinct ${DAY_OF('created_at')} from reports`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['reports', 'referrals']) {
    for (const op of ['inserted', 'updated', 'deleted']) await sql`drop trigger if exists ${sql.raw(`stats_${table}_${op}`)} on ${sql.raw(table)}`.execute(db);
    await sql`drop function if exists ${sql.raw(`stats_mark_${table}_changed`)}()`.execute(db);
  }
  await sql`drop table if exists stats_stale_days`.execute(db);
  await sql`drop table if exists stats_daily`.execute(db);
}
