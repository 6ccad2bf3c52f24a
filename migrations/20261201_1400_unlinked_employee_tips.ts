import { sql, type Kysely } from 'kysely';
// eslint-disable-next-line no-restricted-imports -- a migration is frozen in time and imports no app code, the crypto facade included
import sodium from 'libsodium-wrappers';

// Employee tips no longer name their employee. Until now reports.employee_id held the account id in
// clear and reporter_public_key was the account's own public key, so whoever held the database saw
// which employee (and so which outlet of which company) filed which tip. From here on a tip carries
// a tag HMAC(S, ordinal) and a per-tip public key derived from S, a secret only the employee's
// private key yields (server/core/crypto/employee-tips.ts, docs/crypto.md §3 and §5).
//
// Existing tips cannot be given tags here: S needs the employee's private key, which only the
// employee's password unwraps. So this migration, for every employee, seals the list of their tip
// ids to the account's public key (employees.pending_tips_sealed, crypto_box_seal, padded to a
// multiple of 1024 bytes so its length does not tell how many), replaces the reporter key of those
// tips with random bytes (the grants sealed to the account key still open with it: sealed boxes do
// not name their recipient), and drops employee_id. At the employee's next sign-in the server opens
// the list with the unlocked key, tags each tip, re-seals its reporter grants to the per-tip key and
// clears the column (server/core/employees/legacy-tips.ts). Until then those tips are linked only
// through the sealed list. Older backups still hold employee_id: they must be destroyed.
// Going down re-creates an empty employee_id; the link cannot be put back without the employees' keys.

const PAD_TO = 1024;

export function padTipList(reportIds: readonly string[]): Uint8Array {
  const text = JSON.stringify({ reports: reportIds });
  const length = Math.ceil((Buffer.byteLength(text) + 1) / PAD_TO) * PAD_TO;
  return new Uint8Array(Buffer.from(text.padEnd(length, ' ')));
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sodium.ready;
  await sql`alter table reports add column employee_tip_tag bytea`.execute(db);
  await sql`alter table reports add constraint reports_employee_tip_tag_key unique (employee_tip_tag)`.execute(db);
  await sql`alter table employees add column pending_tips_sealed bytea`.execute(db);

  const employees = await sql<{ id: string; public_key: Uint8Array }>`select id, public_key from employees`.execute(db);
  for (const employee of employees.rows) {
    const tips = await sql<{ id: string }>`select id from reports where employee_id = ${employee.id} order by created_at, id`.execute(db);
    const sealed = sodium.crypto_box_seal(padTipList(tips.rows.map((r) => r.id)), new Uint8Array(employee.public_key));
    await sql`update employees set pending_tips_sealed = ${sealed} where id = ${employee.id}`.execute(db);
    for (const tip of tips.rows) {
      await sql`update reports set reporter_public_key = ${sodium.randombytes_buf(32)} where id = ${tip.id}`.execute(db);
    }
  }
  await sql`drop index if exists reports_employee_idx`.execute(db);
  await sql`alter table reports drop constraint if exists reports_employee_fk`.execute(db);
  await sql`alter table reports drop column employee_id`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table reports add column employee_id uuid`.execute(db);
  await sql`alter table reports add constraint reports_employee_fk foreign key (employee_id) references employees (id)`.execute(db);
  await sql`create index reports_employee_idx on reports (employee_id, created_at desc) where employee_id is not null`.execute(db);
  await sql`alter table employees drop column if exists pending_tips_sealed`.execute(db);
  await sql`alter table reports drop constraint if exists reports_employee_tip_tag_key`.execute(db);
  await sql`alter table reports drop column if exists employee_tip_tag`.execute(db);
}
