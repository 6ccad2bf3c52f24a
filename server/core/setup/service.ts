import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../db/schema.js';
import type { AppContext } from '../context.js';
import { hashToken, newToken, toHex } from '../crypto/index.js';
import { createStaffAccount, type EnrolLink } from '../accounts/service.js';
import { changeSettings, readSettings } from '../settings/service.js';
import { escrowStatus } from '../escrow/service.js';

/**
 * First-run setup in the browser. A start with no staff account issues a one-time token (only its
 * hash is stored, in `settings`), and the server logs `${STAFF_URL}/staff/setup/<token>`. Whoever
 * opens it first names the organisation, picks the default language and creates the first admin
 * and the first custodian (each finishes with the usual enrolment link: password, recovery key,
 * TOTP). The token is consumed by that one submission; a later start with staff issues none.
 */

const SETUP_KEY = 'setup.token';
const ESCROW_KEY = 'setup.escrowToken';

async function storeTokenHash(db: Kysely<DB>, key: string, token: string): Promise<void> {
  const value = JSON.stringify({ hash: toHex(hashToken(token)), at: new Date().toISOString() });
  await db
    .insertInto('settings')
    .values({ key, value, updated_at: new Date(), updated_by: null })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: new Date() }))
    .execute();
}

/** Deletes the stored hash if it matches: true for exactly one caller. */
async function consumeTokenHash(db: Kysely<DB>, key: string, token: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) return false;
  const hash = toHex(hashToken(token));
  const deleted = await db
    .deleteFrom('settings')
    .where('key', '=', key)
    .where(sql<boolean>`value->>'hash' = ${hash}`)
    .returning('key')
    .executeTakeFirst();
  return !!deleted;
}

async function tokenHashMatches(db: Kysely<DB>, key: string, token: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) return false;
  const row = await db.selectFrom('settings').select('key').where('key', '=', key).where(sql<boolean>`value->>'hash' = ${toHex(hashToken(token))}`).executeTakeFirst();
  return !!row;
}

async function staffCount(db: Kysely<DB>): Promise<number> {
  const row = await db.selectFrom('staff').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** On start: the setup URL when there is no staff yet (a fresh token each start), else null. */
export async function issueSetupUrl(ctx: Pick<AppContext, 'database' | 'config'>): Promise<string | null> {
  const db = ctx.database.db;
  if ((await staffCount(db)) > 0) {
    await db.deleteFrom('settings').where('key', '=', SETUP_KEY).execute();
    return null;
  }
  const token = newToken();
  await storeTokenHash(db, SETUP_KEY, token);
  return new URL(`/staff/setup/${token}`, ctx.config.staff.url).href;
}

/** Whether the setup page may be shown for this token (unused, and still no staff). */
export async function setupTokenValid(ctx: AppContext, token: string): Promise<boolean> {
  return (await tokenHashMatches(ctx.database.db, SETUP_KEY, token)) && (await staffCount(ctx.database.db)) === 0;
}

export type SetupInput = { organisationName: string; defaultLocale: string; adminUsername: string; custodianUsername: string; escrow: 'server' | 'offline' };

export type SetupResult =
  | { ok: true; admin: EnrolLink; custodian: EnrolLink; escrowToken: string | null }
  | { ok: false; reason: 'token' }
  | { ok: false; reason: 'invalid'; errors: { field: string; messageKey: string }[] };

export async function completeSetup(ctx: AppContext, token: string, input: SetupInput): Promise<SetupResult> {
  const db = ctx.database.db;
  if (!(await setupTokenValid(ctx, token))) return { ok: false, reason: 'token' };
  const settings = await changeSettings(ctx, null, { 'organisation.name': input.organisationName, 'organisation.defaultLocale': input.defaultLocale });
  if (!settings.ok) return { ok: false, reason: 'invalid', errors: settings.errors.map((e) => ({ field: e.field === 'organisation.name' ? 'organisationName' : 'defaultLocale', messageKey: e.messageKey })) };
  // Single use: exactly one submission deletes the token; a second (or a race) finds it gone.
  if (!(await consumeTokenHash(db, SETUP_KEY, token)) || (await staffCount(db)) > 0) return { ok: false, reason: 'token' };
  const deps = { db, kdf: ctx.kdf, config: ctx.config };
  const admin = await createStaffAccount(deps, { username: input.adminUsername, role: 'admin', isCustodian: false }, { kind: 'cli' });
  const custodian = await createStaffAccount(deps, { username: input.custodianUsername, role: 'reviewer', isCustodian: true }, { kind: 'cli' });
  if (admin === 'taken' || custodian === 'taken') throw new Error('setup: usernames taken on an installation without staff');
  let escrowToken: string | null = null;
  if (input.escrow === 'server' && !(await escrowStatus(db))) {
    escrowToken = newToken();
    await storeTokenHash(db, ESCROW_KEY, escrowToken);
  }
  return { ok: true, admin, custodian, escrowToken };
}

/** The one-time right to have the server generate the escrow key pair and hand over the private key. */
export function consumeEscrowToken(ctx: AppContext, token: string): Promise<boolean> {
  return consumeTokenHash(ctx.database.db, ESCROW_KEY, token);
}

// --------------------------------------------------------------------------- readiness checklist

export type ReadinessItem = { readonly key: 'escrow' | 'custodians' | 'reviewers' | 'alerts' | 'backups'; readonly done: boolean };

/** What an installation needs before it can be trusted with reports; shown on the admin home until complete. */
export async function readiness(ctx: AppContext): Promise<{ items: ReadinessItem[]; complete: boolean }> {
  const db = ctx.database.db;
  const count = async (q: Promise<{ n: number } | undefined>) => Number((await q)?.n ?? 0);
  const custodians = await count(
    db.selectFrom('staff').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'active').where('is_custodian', '=', true).executeTakeFirst(),
  );
  const reviewers = await count(
    db.selectFrom('staff').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'active').where('role', '=', 'reviewer').executeTakeFirst(),
  );
  const alerts = await count(db.selectFrom('alert_channels').select((eb) => eb.fn.countAll<number>().as('n')).where('enabled', '=', true).executeTakeFirst());
  const settings = await readSettings(ctx, db, { fresh: true });
  const items: ReadinessItem[] = [
    { key: 'escrow', done: !!(await escrowStatus(db)) },
    { key: 'custodians', done: custodians >= 2 },
    { key: 'reviewers', done: reviewers >= 1 },
    { key: 'alerts', done: alerts > 0 },
    { key: 'backups', done: settings['operations.backupsDocumented'] === true },
  ];
  return { items, complete: items.every((i) => i.done) };
}
