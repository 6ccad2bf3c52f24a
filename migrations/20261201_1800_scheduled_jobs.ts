import { sql, type Kysely } from 'kysely';

// When each scheduled job (maintenance, later alerts and retention) is next due. With several app
// instances on one database, an instance runs a job only after moving its next_run_at forward in
// the same transaction, so each period's run happens once, whichever instance gets there first.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table scheduled_jobs (
      name text primary key,
      next_run_at timestamptz not null,
      last_run_at timestamptz,
      last_instance text,
      runs integer not null default 0
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists scheduled_jobs`.execute(db);
}
