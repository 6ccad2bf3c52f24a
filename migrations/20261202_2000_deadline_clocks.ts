import { sql, type Kysely } from 'kysely';

// Deadline clocks on the queue and the case page. The deadline engine needs, per case, when a
// reviewer last wrote to the reporter and since when a referral waits for its second approval.
// Both times are already plaintext (message and referral rows carry them); keeping them on the
// report row lets the queue compute every clock from the columns it selects, with no query per row.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table reports add column if not exists last_feedback_at timestamptz, add column if not exists referral_pending_since timestamptz`.execute(db);
  await sql`
    update reports r set last_feedback_at = m.last_at
    from (select report_id, max(created_at) as last_at from messages where author_kind = 'staff' group by report_id) m
    where m.report_id = r.id and r.last_feedback_at is null`.execute(db);
  await sql`
    update reports r set referral_pending_since = f.since
    from (select report_id, min(created_at) as since from referrals where status = 'pending_approval' group by report_id) f
    where f.report_id = r.id and r.referral_pending_since is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table reports drop column if exists referral_pending_since, drop column if exists last_feedback_at`.execute(db);
}
