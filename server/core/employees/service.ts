import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.js';
import type { DB } from '../db/schema.js';
import { appendAudit } from '../audit/repository.js';
import { generateBoxKeyPair, hmacSha256, toHex, unwrapKey, utf8, wrapKey, type Kdf } from '../crypto/index.js';
import { createSession, destroySessionsOf } from '../sessions/store.js';
import { hitRateLimit, peekRateLimit, type RateLimitRule } from '../rate-limit.js';
import { claimInvite, findInviteByHash } from '../organisations/repository.js';
import { inviteState, type AdminActor } from '../organisations/service.js';
import { inviteCodeHash } from '../organisations/invite-code.js';
import { employeeLoginLookup, sealEmployeeIdentity } from './keys.js';
import * as repo from './repository.js';

/** Failures a form can explain. 'throttled' carries no detail on purpose. */
export class EmployeeError extends Error {
  constructor(readonly code: 'invalid_invite' | 'phone_taken' | 'invalid_login' | 'throttled' | 'wrong_password') {
    super(code);
  }
}

// Joining counts every refused code, so invite codes cannot be guessed at speed.
export const JOIN_CLIENT_RULE: RateLimitRule = { bucket: 'employee-join', limit: 10, windowSeconds: 15 * 60 };
export const LOGIN_CLIENT_RULE: RateLimitRule = { bucket: 'employee-login-client', limit: 20, windowSeconds: 15 * 60 };
export const LOGIN_ACCOUNT_RULE: RateLimitRule = { bucket: 'employee-login-account', limit: 5, windowSeconds: 15 * 60 };

export type JoinInput = { inviteCode: string; name: string; employeeNumber: string; phone: string; password: string };

/**
 * Creates an employee account from an invite code and signs it in. The cheap checks (code, phone)
 * run before the two argon2id computations; the invite slot is then claimed atomically in the same
 * transaction that creates the account, so a lost race or a failure leaves the count untouched.
 */
export async function joinEmployee(ctx: AppContext, input: JoinInput, clientKey: string, now = new Date()) {
  const { db } = ctx.database;
  await refuseIfThrottled(db, [[JOIN_CLIENT_RULE, clientKey]]);
  const codeHash = inviteCodeHash(input.inviteCode);
  const invite = await findInviteByHash(db, codeHash);
  if (!invite || inviteState(invite, now) !== 'active') {
    await hitRateLimit(db, JOIN_CLIENT_RULE, clientKey, now);
    throw new EmployeeError('invalid_invite');
  }
  const loginLookup = employeeLoginLookup(ctx.config.secrets.blindIndexKey, input.phone)!;
  if (await repo.findEmployeeByLogin(db, loginLookup)) {
    // Counted too: with one valid code, the answer would otherwise test which phones have accounts.
    await hitRateLimit(db, JOIN_CLIENT_RULE, clientKey, now);
    throw new EmployeeError('phone_taken');
  }

  const keys = generateBoxKeyPair();
  const credentials = await newCredentials(ctx.kdf, input.password, keys.privateKey);
  const employeeId = randomUUID();
  await db.transaction().execute(async (trx) => {
    const claimed = await claimInvite(trx, codeHash, now);
    if (!claimed) throw new EmployeeError('invalid_invite');
    const { identitySealed, grants } = await sealIdentityFor(trx, employeeId, claimed.outlet_id, input, keys.publicKey);
    await repo.insertEmployee(trx, { id: employeeId, outletId: claimed.outlet_id, loginLookup, publicKey: keys.publicKey, identitySealed, ...credentials });
    await repo.insertIdentityGrants(trx, employeeId, grants);
    await appendAudit(trx, { actorKind: 'employee', actorId: employeeId, event: 'employee.joined', subjectId: claimed.id });
  }).catch(mapUniqueViolation);
  const cookie = await createSession(db, 'employee', employeeId, keys.privateKey);
  keys.privateKey.fill(0);
  return { employeeId, cookie };
}

async function newCredentials(kdf: Kdf, password: string, privateKey: Uint8Array) {
  const kekSalt = kdf.newSalt();
  const [passwordHash, kek] = await Promise.all([kdf.hashPassword(password), kdf.deriveKek(password, kekSalt)]);
  const wrappedPrivateKey = wrapKey(privateKey, kek);
  kek.fill(0);
  return { passwordHash, kekSalt, kekCost: kdf.currentCost(), wrappedPrivateKey };
}

async function sealIdentityFor(trx: Kysely<DB>, employeeId: string, outletId: string, input: JoinInput, employeePublicKey: Uint8Array) {
  const outlet = (await repo.findOutletForIdentity(trx, outletId))!;
  const custodians = await repo.activeCustodianKeys(trx);
  const identity = {
    name: input.name,
    employeeNumber: input.employeeNumber,
    phone: input.phone,
    company: outlet.organisation_name,
    outlet: { name: outlet.name, province: outlet.province, city: outlet.city },
  };
  return sealEmployeeIdentity(employeeId, identity, { employeePublicKey, custodians });
}

/** Two joins racing with one phone number: the unique login_lookup decides, the loser is told. */
function mapUniqueViolation(err: unknown): never {
  if ((err as { code?: string }).code === '23505') throw new EmployeeError('phone_taken');
  throw err;
}

async function refuseIfThrottled(db: Kysely<DB>, checks: readonly [RateLimitRule, string][]): Promise<void> {
  for (const [rule, key] of checks) {
    if (!(await peekRateLimit(db, rule, key)).allowed) throw new EmployeeError('throttled');
  }
}

/**
 * Rate-limit key for one account: keyed with the rate-limit secret so the rate_limits table does
 * not repeat the login lookup stored in employees (nor anything a reader could match to it).
 */
export function accountThrottleKey(ctx: AppContext, loginLookup: Uint8Array): string {
  return toHex(hmacSha256(ctx.config.secrets.rateLimitKey, utf8(`employee-account:${toHex(loginLookup)}`)));
}

const dummyVerifiers = new WeakMap<Kdf, Promise<string>>();

/** A verifier for a password nobody has, so unknown phones cost the same argon2id time as known ones. */
function dummyVerifier(kdf: Kdf): Promise<string> {
  let verifier = dummyVerifiers.get(kdf);
  if (!verifier) dummyVerifiers.set(kdf, (verifier = kdf.hashPassword(toHex(hmacSha256(utf8(randomUUID()), utf8('dummy'))))));
  return verifier;
}

/**
 * Signs an employee in and returns the session cookie. Both throttles are checked before argon2id
 * runs, so a guessing run costs the server a database read per try, not 64 MiB and 0.2 s.
 * Every failure is the same 'invalid_login', whatever the reason (unknown, wrong, deactivated).
 */
export async function loginEmployee(ctx: AppContext, input: { phone: string; password: string }, clientKey: string, now = new Date()) {
  const { db } = ctx.database;
  const loginLookup = employeeLoginLookup(ctx.config.secrets.blindIndexKey, input.phone)!;
  const accountKey = accountThrottleKey(ctx, loginLookup);
  await refuseIfThrottled(db, [[LOGIN_CLIENT_RULE, clientKey], [LOGIN_ACCOUNT_RULE, accountKey]]);
  const row = await repo.findEmployeeByLogin(db, loginLookup);
  const verified = row ? await ctx.kdf.verifyPassword(row.password_hash, input.password) : await ctx.kdf.verifyPassword(await dummyVerifier(ctx.kdf), input.password);
  if (!row || !verified || row.status !== 'active') {
    await hitRateLimit(db, LOGIN_CLIENT_RULE, clientKey, now);
    await hitRateLimit(db, LOGIN_ACCOUNT_RULE, accountKey, now);
    if (row) await auditEvent(db, row.id, 'employee.login_failed');
    throw new EmployeeError('invalid_login');
  }
  const privateKey = await unlockPrivateKey(ctx, row, input.password);
  const cookie = await createSession(db, 'employee', row.id, privateKey);
  privateKey.fill(0);
  await auditEvent(db, row.id, 'employee.login_succeeded');
  return { employeeId: row.id, cookie };
}

type CredentialRow = NonNullable<Awaited<ReturnType<typeof repo.findEmployee>>>;

/**
 * Unwraps the private key with the password KEK at the cost it was made with; if the configured
 * argon2id cost has changed since, re-wraps it at the current cost while the password is at hand.
 */
async function unlockPrivateKey(ctx: AppContext, row: CredentialRow, password: string): Promise<Uint8Array> {
  const kek = await ctx.kdf.deriveKek(password, new Uint8Array(row.kek_salt), row.kek_cost ?? undefined);
  const privateKey = unwrapKey(new Uint8Array(row.wrapped_private_key), kek);
  kek.fill(0);
  if (row.kek_cost !== ctx.kdf.currentCost()) {
    const kekSalt = ctx.kdf.newSalt();
    const fresh = await ctx.kdf.deriveKek(password, kekSalt);
    await repo.updateCredentials(ctx.database.db, row.id, { kekSalt, kekCost: ctx.kdf.currentCost(), wrappedPrivateKey: wrapKey(privateKey, fresh) });
    fresh.fill(0);
  }
  return privateKey;
}

async function auditEvent(db: Kysely<DB>, employeeId: string, event: 'employee.login_failed' | 'employee.login_succeeded') {
  await db.transaction().execute((trx) => appendAudit(trx, { actorKind: 'employee', actorId: employeeId, event }));
}

/**
 * Changes the password: checks the current one (throttled like a login), re-wraps the private key
 * held by this session under a KEK from the new password, ends every session of the account and
 * opens a fresh one — a thief holding an old session cookie is signed out too.
 */
export async function changeEmployeePassword(
  ctx: AppContext,
  employee: { id: string; privateKey: Uint8Array },
  input: { currentPassword: string; newPassword: string },
  now = new Date(),
) {
  const { db } = ctx.database;
  const row = await repo.findEmployee(db, employee.id);
  if (!row) throw new EmployeeError('wrong_password');
  // Shares the login's per-account budget: guessing the password here is no cheaper than there.
  const throttleKey = accountThrottleKey(ctx, new Uint8Array(row.login_lookup));
  await refuseIfThrottled(db, [[LOGIN_ACCOUNT_RULE, throttleKey]]);
  if (!(await ctx.kdf.verifyPassword(row.password_hash, input.currentPassword))) {
    await hitRateLimit(db, LOGIN_ACCOUNT_RULE, throttleKey, now);
    throw new EmployeeError('wrong_password');
  }
  const credentials = await newCredentials(ctx.kdf, input.newPassword, employee.privateKey);
  await db.transaction().execute(async (trx) => {
    await repo.updateCredentials(trx, employee.id, credentials);
    await destroySessionsOf(trx, 'employee', employee.id);
    await appendAudit(trx, { actorKind: 'employee', actorId: employee.id, event: 'employee.password_changed' });
  });
  return createSession(db, 'employee', employee.id, employee.privateKey);
}

/** Plain metadata of one account, for the admin's confirmation page. */
export async function employeeSummary(db: Kysely<DB>, employeeId: string) {
  return repo.findEmployeeSummary(db, employeeId);
}

/**
 * Admin deactivation: the account can no longer sign in and its open sessions end at once, in the
 * same transaction. Returns false when it was not active. Its tips stay with the reviewers.
 */
export async function deactivateEmployee(db: Kysely<DB>, actor: AdminActor, employeeId: string, now = new Date()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await repo.markDeactivated(trx, employeeId, now))) return false;
    await destroySessionsOf(trx, 'employee', employeeId);
    await appendAudit(trx, {
      actorKind: actor.kind === 'staff' ? 'staff' : 'cli',
      actorId: actor.kind === 'staff' ? actor.id : null,
      event: 'employee.deactivated',
      subjectId: employeeId,
    });
    return true;
  });
}
