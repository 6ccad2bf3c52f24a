import type { Kysely } from 'kysely';
import type { DB, SessionKind } from '../db/schema.js';
import { CryptoError, fromUtf8, hashToken, newToken, randomBytes, toBase64Url, unwrapKey, utf8, wrapKey } from '../crypto/index.js';

export type SessionPolicy = { readonly idleSeconds: number; readonly absoluteSeconds: number };

/** Idle and absolute lifetimes. Reporters get the shortest: a shared phone must forget them fast. */
export const SESSION_POLICIES: Readonly<Record<SessionKind, SessionPolicy>> = {
  staff: { idleSeconds: 30 * 60, absoluteSeconds: 12 * 3600 },
  employee: { idleSeconds: 30 * 60, absoluteSeconds: 12 * 3600 },
  reporter: { idleSeconds: 15 * 60, absoluteSeconds: 2 * 3600 },
};

export type OpenSession = {
  readonly kind: SessionKind;
  readonly principalId: string;
  /** The principal's private key, unwrapped with the cookie's secret half; null for keyless sessions. */
  readonly privateKey: Uint8Array | null;
  readonly data: Readonly<Record<string, unknown>>;
  readonly idHash: Uint8Array;
  readonly createdAt: Date;
};

/**
 * The latest a session seen now can last: the idle limit from now, or its absolute limit, whichever
 * comes first (pages show it as static text). Activity within TOUCH_AFTER_MS may not move the idle
 * clock, so the idle end is shown one touch interval early rather than late.
 */
export function sessionLastsUntil(kind: SessionKind, createdAt: Date, now: Date): Date {
  const policy = SESSION_POLICIES[kind];
  return new Date(Math.min(now.getTime() + policy.idleSeconds * 1000 - TOUCH_AFTER_MS, createdAt.getTime() + policy.absoluteSeconds * 1000));
}

// Touching last_seen_at on every request would turn every page view into a write.
const TOUCH_AFTER_MS = 60_000;

/**
 * A reporter session's principal is their report. Stored in clear it would join every follow-up
 * visit (and its times) to the report; so the row keeps it wrapped under the cookie's secret half
 * (`wrapKey`, base64url), which only the reporter's browser holds. Other kinds keep their account
 * id in clear: an account signing in is no secret, and deactivation must end its sessions.
 */
function storedPrincipal(kind: SessionKind, principalId: string, secret: Uint8Array): string {
  return kind === 'reporter' ? toBase64Url(wrapKey(utf8(principalId), secret)) : principalId;
}

function principalOf(kind: SessionKind, stored: string, secret: Uint8Array): string {
  return kind === 'reporter' ? fromUtf8(unwrapKey(new Uint8Array(Buffer.from(stored, 'base64url')), secret)) : stored;
}

/**
 * Cookie = `<id>.<secret>`. The database keeps SHA-256(id) and the private key wrapped under the
 * secret, so a stolen database cannot open a session key and a stolen cookie without the database
 * has nothing to open. Any app instance holding the database can serve the session.
 */
export async function createSession(
  db: Kysely<DB>,
  kind: SessionKind,
  principalId: string,
  privateKey: Uint8Array | null,
  data: Record<string, unknown> = {},
  policy: SessionPolicy = SESSION_POLICIES[kind],
): Promise<string> {
  const id = newToken(18);
  const secret = randomBytes(32);
  const now = new Date();
  await db
    .insertInto('sessions')
    .values({
      id_hash: hashToken(id),
      kind,
      principal_id: storedPrincipal(kind, principalId, secret),
      wrapped_key: privateKey ? wrapKey(privateKey, secret) : null,
      data: JSON.stringify(data),
      created_at: now,
      last_seen_at: now,
      idle_seconds: policy.idleSeconds,
      expires_at: new Date(now.getTime() + policy.absoluteSeconds * 1000),
    })
    .execute();
  return `${id}.${toBase64Url(secret)}`;
}

function parseCookie(value: unknown): { id: string; secret: Uint8Array } | null {
  if (typeof value !== 'string' || value.length > 200) return null;
  const [id, secret, extra] = value.split('.');
  if (!id || !secret || extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(id) || !/^[A-Za-z0-9_-]+$/.test(secret)) return null;
  const bytes = new Uint8Array(Buffer.from(secret, 'base64url'));
  return bytes.length === 32 ? { id, secret: bytes } : null;
}

/** Returns the live session for this cookie, or null (unknown, wrong kind, idle too long, past its absolute expiry). */
export async function loadSession(db: Kysely<DB>, kind: SessionKind, cookieValue: unknown, now = new Date()): Promise<OpenSession | null> {
  const parsed = parseCookie(cookieValue);
  if (!parsed) return null;
  const idHash = hashToken(parsed.id);
  const row = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).where('kind', '=', kind).executeTakeFirst();
  if (!row) return null;
  const lastSeen = row.last_seen_at;
  const idleExpired = lastSeen.getTime() + row.idle_seconds * 1000 <= now.getTime();
  if (idleExpired || row.expires_at.getTime() <= now.getTime()) {
    await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    return null;
  }
  let privateKey: Uint8Array | null = null;
  let principalId: string;
  try {
    principalId = principalOf(kind, row.principal_id, parsed.secret);
    if (row.wrapped_key) privateKey = unwrapKey(new Uint8Array(row.wrapped_key), parsed.secret);
  } catch (err) {
    if (err instanceof CryptoError) return null; // right id, wrong secret: not this session's cookie
    throw err;
  }
  if (now.getTime() - lastSeen.getTime() > TOUCH_AFTER_MS) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
  }
  return { kind, principalId, privateKey, data: row.data ?? {}, idHash, createdAt: row.created_at };
}

export async function updateSessionData(db: Kysely<DB>, idHash: Uint8Array, data: Record<string, unknown>): Promise<void> {
  await db.updateTable('sessions').set({ data: JSON.stringify(data) }).where('id_hash', '=', idHash).execute();
}

export async function destroySession(db: Kysely<DB>, cookieValue: unknown): Promise<void> {
  const parsed = parseCookie(cookieValue);
  if (parsed) await db.deleteFrom('sessions').where('id_hash', '=', hashToken(parsed.id)).execute();
}

/** Ends every session of one account (deactivation, password change, recovery); not for reporters, whose rows do not name them. */
export async function destroySessionsOf(db: Kysely<DB>, kind: SessionKind, principalId: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('kind', '=', kind).where('principal_id', '=', principalId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function purgeExpiredSessions(db: Kysely<DB>, now = new Date()): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}
