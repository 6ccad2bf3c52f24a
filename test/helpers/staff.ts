import type { StaffRole } from '../../server/core/db/schema.js';
import request, { type Response } from 'supertest';
import type { Express } from 'express';
import type TestAgent from 'supertest/lib/agent.js';
import { Secret, TOTP } from 'otpauth';
import type { TestApp } from './app.js';
import { csrfTokenFrom } from './forms.js';
import { newToken } from '../../server/core/crypto/index.js';
import { createStaffAccount } from '../../server/core/accounts/service.js';
import { chooseEnrolmentPassword, confirmRecoveryKeyStored, confirmTotpEnrolment, loadEnrolment, revealRecoveryKey } from '../../server/core/accounts/enrolment.js';
import { openTotpSecret, unlockStaff } from '../../server/core/accounts/staff-keys.js';
import { cookieName } from '../../server/web/cookies.js';
import { createSession, destroySession } from '../../server/core/sessions/store.js';
import { findStaffById } from '../../server/core/accounts/repository.js';

export type TestStaff = {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  /** Base32, as an authenticator app would hold it. */
  readonly totpSecret: string;
  readonly publicKey: Uint8Array;
  /** As shown at enrolment (Crockford base32 in groups). */
  readonly recoveryKey: string;
};

const PERIOD_MS = 30_000;
// The server refuses a code whose 30-second step is not later than the last one used (replay
// protection), and accepts steps one either side of now. The helpers hand out steps in order.
const lastStep = new Map<string, number>();

function totp(secret: string): TOTP {
  return new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret.replace(/\s+/g, '')) });
}

/** The code an authenticator app would show now. */
export function totpNow(secret: string): string {
  return totp(secret).generate();
}

/**
 * A code this staff member has not used yet: the earliest unused step of (now, now + 1). The
 * previous step is never offered: the server accepts one step either side, so a code for now − 1
 * posted just after a step boundary (a loaded machine takes seconds) would already be too old.
 * If both are spent, waits for the next step.
 */
export async function nextTotpCode(staff: Pick<TestStaff, 'id' | 'totpSecret'>): Promise<string> {
  for (;;) {
    const now = Math.floor(Date.now() / PERIOD_MS);
    const used = lastStep.get(staff.id) ?? -Infinity;
    const step = [now, now + 1].find((s) => s > used);
    if (step !== undefined) {
      lastStep.set(staff.id, step);
      return totp(staff.totpSecret).generate({ timestamp: step * PERIOD_MS + 1000 });
    }
    await new Promise((resolve) => setTimeout(resolve, (now + 1) * PERIOD_MS - Date.now() + 50));
  }
}

/** Tells the helpers a step was consumed outside them (so the next code is later). */
export function markTotpUsed(staffId: string, code: string, secret: string): void {
  const delta = totp(secret).validate({ token: code, window: 1 });
  if (delta !== null) lastStep.set(staffId, Math.max(lastStep.get(staffId) ?? -Infinity, Math.floor(Date.now() / PERIOD_MS) + delta));
}

function cookieFrom(name: string, cookie: string): string {
  return `${name}=${cookie}`;
}

/** The value a response set for a cookie, if it set one (and did not clear it). */
export function setCookieValue(res: Response, name: string): string | null {
  const list = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const raw = list.find((c) => c.startsWith(`${name}=`));
  const value = raw?.split(';')[0]!.slice(name.length + 1);
  return value ? decodeURIComponent(value) : null;
}

export type SignInAttempt = { readonly res: Response; readonly staffCookie: string | null; readonly deviceCookie: string | null };

/**
 * One sign-in attempt without an agent (for failure, throttling and multi-instance tests):
 * fetches the form for a CSRF pair, then posts the fields. `headers` can set X-Forwarded-For;
 * `deviceCookie` sends a trusted-device cookie from an earlier sign-in.
 */
export async function signIn(
  app: Express,
  fields: { username: string; password: string; code: string },
  headers: Record<string, string> = {},
  deviceCookie: string | null = null,
): Promise<SignInAttempt> {
  const page = await request(app).get('/staff/login').set(headers);
  const cookies = ([] as string[]).concat(page.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!);
  if (deviceCookie) cookies.push(`pg_staff_device=${deviceCookie}`);
  const res = await request(app).post('/staff/login').set(headers).set('Cookie', cookies.join('; ')).type('form').send({ _csrf: csrfTokenFrom(page.text), ...fields });
  const staffCookie = setCookieValue(res, 'pg_staff') ?? setCookieValue(res, '__Host-pg_staff');
  return { res, staffCookie, deviceCookie: setCookieValue(res, 'pg_staff_device') ?? setCookieValue(res, '__Host-pg_staff_device') };
}

/**
 * A fully enrolled staff member, made through the real service path: create → choose a password
 * (key pair, KEK, recovery copy, sealed TOTP secret) → confirm the recovery key → confirm a TOTP code.
 */
export async function createStaff(
  t: TestApp,
  opts: { role?: StaffRole; custodian?: boolean; username?: string } = {},
): Promise<TestStaff> {
  const deps = { db: t.ctx.database.db, kdf: t.ctx.kdf, config: t.ctx.config };
  const username = opts.username ?? `staff-${newToken(6).replace(/[^A-Za-z0-9]/g, 'x').toLowerCase()}`;
  const password = `harbour lantern ${newToken(9)} pebble`;
  const link = await createStaffAccount(deps, { username, role: opts.role ?? 'reviewer', isCustodian: opts.custodian ?? false }, { kind: 'cli' });
  if (link === 'taken') throw new Error(`username ${username} is taken`);
  const token = link.url.split('/').pop()!;
  const enrolCookie = await chooseEnrolmentPassword(deps, token, password);
  if (!enrolCookie) throw new Error('enrolment link refused');
  const atRecovery = (await loadEnrolment(deps, enrolCookie))!;
  const recoveryKey = revealRecoveryKey(atRecovery)!;
  await confirmRecoveryKeyStored(deps, atRecovery);
  const atTotp = (await loadEnrolment(deps, enrolCookie))!;
  const secretBytes = openTotpSecret(atTotp.row, atTotp.keys)!;
  const totpSecret = new Secret({ buffer: Uint8Array.from(secretBytes).buffer }).base32;
  const staff = { id: atTotp.row.id, username, password, totpSecret, publicKey: atTotp.keys.publicKey, recoveryKey };
  const session = await confirmTotpEnrolment(deps, atTotp, enrolCookie, await nextTotpCode(staff));
  if (!session) throw new Error('TOTP confirmation refused');
  // Enrolment ends signed in; tests sign in themselves, so that session is not left lying around.
  await destroySession(deps.db, session);
  return staff;
}

/** Signs in over HTTP (GET the form, POST username + password + a fresh TOTP code) and returns the agent. */
export async function loginStaff(t: TestApp, staff: TestStaff): Promise<TestAgent> {
  const agent = request.agent(t.staffApp);
  const page = await agent.get('/staff/login');
  const res = await agent
    .post('/staff/login')
    .type('form')
    .send({ _csrf: csrfTokenFrom(page.text), username: staff.username, password: staff.password, code: await nextTotpCode(staff) });
  // An analyst has no queue: they land on the statistics page.
  if (res.status !== 303 || !['/staff', '/staff/stats'].includes(String(res.headers.location))) throw new Error(`staff login failed with status ${res.status}`);
  return agent;
}

/** The raw staff cookie header for a session cookie value (for requests outside an agent). */
export function staffCookieHeader(t: TestApp, value: string): string {
  return cookieFrom(cookieName(t.config.staff, 'staff'), value);
}

/**
 * A signed-in session created through the session store without spending a TOTP code, for tests
 * about something other than sign-in. Returns the staff cookie value.
 */
export async function staffSession(t: TestApp, staff: TestStaff): Promise<string> {
  const db = t.ctx.database.db;
  const unlocked = await unlockStaff(t.ctx.kdf, await findStaffById(db, staff.id), staff.password);
  if (!unlocked) throw new Error('password does not unlock this account');
  return createSession(db, 'staff', staff.id, unlocked.keys.privateKey);
}

/**
 * GETs `page` (for the CSRF cookie and token, bound to the staff cookie if given), then POSTs the
 * form fields to `action` with the same cookies. For requests outside a supertest agent.
 */
export async function postForm(
  app: Express,
  page: string,
  action: string,
  fields: Record<string, string>,
  opts: { staffCookie?: string | null; headers?: Record<string, string>; extraCookies?: string[] } = {},
): Promise<Response> {
  const staff = [...(opts.staffCookie ? [`pg_staff=${opts.staffCookie}`] : []), ...(opts.extraCookies ?? [])];
  const form = await request(app).get(page).set(opts.headers ?? {}).set('Cookie', staff.join('; '));
  // Whichever CSRF cookie this app sets (pg_csrf on the public app, pg_staff_csrf on the staff app).
  const csrf = ([] as string[]).concat(form.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).filter((c) => /^pg_(staff_)?csrf=/.test(c));
  return request(app)
    .post(action)
    .set(opts.headers ?? {})
    .set('Cookie', [...staff, ...csrf].join('; '))
    .type('form')
    .send({ _csrf: csrfTokenFrom(form.text), ...fields });
}
