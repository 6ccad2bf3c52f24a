import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.js';
import type { DB } from '../db/schema.js';
import type { ClientSource } from '../client-source.js';
import { appendAudit } from '../audit/repository.js';
import { generateBoxKeyPair, normalisePhone } from '../crypto/index.js';
import { createSession, destroySessionsOf } from '../sessions/store.js';
import { limitsOf, takeAll, type RateLimitRule } from '../rate-limit.js';
import { newCredentials } from '../accounts/credentials.js';
import { claimInvite, findInviteByHash } from '../organisations/repository.js';
import { inviteState, type AdminActor } from '../organisations/service.js';
import { inviteCodeHash } from '../organisations/invite-code.js';
import { sealEmployeeIdentity } from './keys.js';
import { findAccountByPhone } from './lookup.js';
import { EmployeeError } from './errors.js';
import * as repo from './repository.js';

export { EmployeeError } from './errors.js';
export { changeEmployeePassword, loginEmployee } from './auth.js';

/**
 * Join attempts per client. Reserved before any work, kept by every refusal (a bad invite code, a
 * phone that already has an account) and given back by a join that succeeds, so invite codes and
 * registered phones cannot be probed at speed while a whole outlet can still join from one network.
 */
export const JOIN_CLIENT_RULE: RateLimitRule = { bucket: 'employee-join', limit: 10, windowSeconds: 15 * 60 };

export type JoinInput = { inviteCode: string; name: string; employeeNumber: string; phone: string; password: string };

/**
 * Creates an employee account from an invite code and signs it in. The attempt is reserved first;
 * the cheap check (code) runs before the argon2id ones (lookup, then verifier and KEK); the invite
 * slot is then claimed atomically in the same transaction that creates the account, so a lost
 * race or a failure leaves the count untouched.
 */
export async function joinEmployee(ctx: AppContext, input: JoinInput, source: ClientSource, now = new Date()) {
  const { db } = ctx.database;
  const reservation = await takeAll(limitsOf(ctx), [[JOIN_CLIENT_RULE, source.address]], now);
  if (!reservation.allowed) throw new EmployeeError('throttled', reservation.retryAfterSeconds);
  const codeHash = inviteCodeHash(input.inviteCode);
  const invite = await findInviteByHash(db, codeHash);
  if (!invite || inviteState(invite, now) !== 'active') throw new EmployeeError('invalid_invite');
  // The join form accepts only phone numbers that normalise (employees/schema.ts).
  const { account, lookup } = await findAccountByPhone(ctx, normalisePhone(input.phone)!);
  // Counted too: with one valid code, the answer would otherwise test which phones have accounts.
  if (account) throw new EmployeeError('phone_taken');

  const keys = generateBoxKeyPair();
  const credentials = await newCredentials(ctx.kdf, input.password, keys.privateKey);
  const employeeId = randomUUID();
  const cookie = await db.transaction().execute(async (trx) => {
    const claimed = await claimInvite(trx, codeHash, now);
    if (!claimed) throw new EmployeeError('invalid_invite');
    const { identitySealed, grants } = await sealIdentityFor(trx, employeeId, claimed.outlet_id, input, keys.publicKey);
    await repo.insertEmployee(trx, { id: employeeId, outletId: claimed.outlet_id, loginLookup: lookup, publicKey: keys.publicKey, identitySealed, ...credentials });
    await repo.insertIdentityGrants(trx, employeeId, grants);
    await appendAudit(trx, { actorKind: 'employee', actorId: employeeId, event: 'employee.joined', subjectId: claimed.id });
    return createSession(trx, 'employee', employeeId, keys.privateKey);
  }).catch(mapUniqueViolation);
  keys.privateKey.fill(0);
  await reservation.release();
  return { employeeId, cookie };
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
