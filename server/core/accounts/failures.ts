import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, SignInFailureReason } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import { appendAudit } from '../audit/repository.js';

/**
 * Failed sign-ins go to the audit log aggregated: one row per account (or "no such account"), hour
 * and kind of principal, with the count per reason, written by housekeeping once the hour is over.
 * Writing a row per failure let anyone on the network grow the append-only log at will (and made
 * every failure wait on the audit chain's lock). Successful sign-ins, and failures that show the
 * password is known (right password, wrong or replayed TOTP code), are still written at once.
 */
export type PrincipalKind = 'staff' | 'employee';

export const FAILURE_WINDOW_SECONDS = 3600;

function windowStart(now: Date): Date {
  const ms = FAILURE_WINDOW_SECONDS * 1000;
  return new Date(Math.floor(now.getTime() / ms) * ms);
}

/** Counts one failure; one atomic upsert, no audit lock. */
export async function tallySignInFailure(db: Executor, kind: PrincipalKind, principalId: string | null, reason: SignInFailureReason, now = new Date()): Promise<void> {
  await sql`
    insert into sign_in_failures (principal_kind, principal_id, window_start, reason, failures)
    values (${kind}, ${principalId}, ${windowStart(now)}, ${reason}, 1)
    on conflict (principal_kind, principal_id, window_start, reason) do update set failures = sign_in_failures.failures + 1`.execute(db);
}

type Tally = { principal_kind: PrincipalKind; principal_id: string | null; window_start: Date; reason: SignInFailureReason; failures: number };

/**
 * Moves every finished hour's tallies into the audit log: `staff.login_failed` /
 * `employee.login_failed`, actor = the account (null: no such account), details = the hour, the
 * total and the count per reason. The tallies are deleted by the same statement that reads them,
 * in the caller's transaction, so none is summarised twice or lost.
 */
export async function summariseSignInFailures(trx: Transaction<DB>, now = new Date()): Promise<number> {
  const { rows } = await sql<Tally>`
    delete from sign_in_failures where window_start < ${windowStart(now)}
    returning principal_kind, principal_id, window_start, reason, failures`.execute(trx);
  const groups = new Map<string, Tally[]>();
  for (const row of rows) {
    const id = `${row.principal_kind}|${row.principal_id ?? ''}|${row.window_start.toISOString()}`;
    groups.set(id, [...(groups.get(id) ?? []), row]);
  }
  const ordered = [...groups.values()].sort((a, b) => a[0]!.window_start.getTime() - b[0]!.window_start.getTime());
  for (const tallies of ordered) {
    const first = tallies[0]!;
    const byReason = Object.fromEntries(tallies.map((t) => [t.reason, Number(t.failures)]));
    await appendAudit(trx, {
      actorKind: first.principal_kind,
      actorId: first.principal_id,
      event: first.principal_kind === 'staff' ? 'staff.login_failed' : 'employee.login_failed',
      details: {
        windowStart: first.window_start.toISOString(),
        windowMinutes: FAILURE_WINDOW_SECONDS / 60,
        failures: tallies.reduce((sum, t) => sum + Number(t.failures), 0),
        ...byReason,
      },
    });
  }
  return groups.size;
}

/** The maintenance task: a round runs in one transaction, which the summary needs. */
export async function summariseFinishedFailures(db: Kysely<DB>, now: Date): Promise<void> {
  if (!db.isTransaction) throw new Error('summariseFinishedFailures runs inside the maintenance transaction');
  await summariseSignInFailures(db as Transaction<DB>, now);
}
