import type { ClientSource } from '../client-source.js';
import { takeAll, type LimitDeps, type RateLimitRule, type RateLimitVerdict } from '../rate-limit.js';

/**
 * Limits on guessing credentials (staff sign-in and recovery, employee sign-in), shared by every
 * app instance through the database, and reserved BEFORE any argon2id work: each limit is taken
 * in one atomic statement, so twenty parallel guesses cannot all pass a check that only counted
 * finished failures. An attempt that succeeds releases its reservation: the limits count failures.
 *
 * Who is counted depends on whether the browser is a trusted device (./devices.ts: it signed in
 * to this account before and holds the cookie that says so):
 * - a trusted device draws only on its own budget, so strangers failing from anywhere can never
 *   refuse an account holder on the browser they already use (OWASP's device-cookie defence);
 * - any other attempt draws on the source's budget (one client spraying many accounts), the
 *   account-and-source budget (one client guessing one account), and the account's budgets for
 *   unverified attempts, per 15 minutes and per day. The daily budget is the stated cap on what
 *   a distributed attacker can guess per account; only unverified attempts consume it.
 * Numbers and reasons: docs/operations.md, "Sign-in limits".
 */
export type SignInRules = {
  readonly source: RateLimitRule;
  readonly accountSource: RateLimitRule;
  readonly account: RateLimitRule;
  readonly accountDay: RateLimitRule;
  readonly device: RateLimitRule;
};

const QUARTER_HOUR = 15 * 60;
const DAY = 24 * 3600;

function signInRules(prefix: string): SignInRules {
  return {
    source: { bucket: `${prefix}-source`, limit: 20, windowSeconds: QUARTER_HOUR },
    accountSource: { bucket: `${prefix}-account-source`, limit: 5, windowSeconds: QUARTER_HOUR },
    account: { bucket: `${prefix}-account`, limit: 10, windowSeconds: QUARTER_HOUR },
    accountDay: { bucket: `${prefix}-account-day`, limit: 30, windowSeconds: DAY },
    device: { bucket: `${prefix}-device`, limit: 5, windowSeconds: QUARTER_HOUR },
  };
}

export const STAFF_SIGN_IN = signInRules('staff-auth');
export const EMPLOYEE_SIGN_IN = signInRules('employee-login');

/**
 * Changing a password needs a session of the account, so only its holder draws on this budget:
 * strangers' failed sign-ins never block it, and a borrowed session cannot guess the current
 * password faster than a sign-in could.
 */
export const STAFF_PASSWORD_CHANGE: RateLimitRule = { bucket: 'staff-password-change', limit: 5, windowSeconds: QUARTER_HOUR };
export const EMPLOYEE_PASSWORD_CHANGE: RateLimitRule = { bucket: 'employee-password-change', limit: 5, windowSeconds: QUARTER_HOUR };

export type SignInAttempt = {
  /** The account as typed, canonical and prefixed by its kind (rate_limits stores only a keyed hash of it). */
  readonly account: string;
  readonly source: ClientSource;
  /** The trusted-device id from a valid device cookie for this account, or null. */
  readonly deviceId: string | null;
};

export function reserveSignIn(deps: LimitDeps, rules: SignInRules, attempt: SignInAttempt, now = new Date()): Promise<RateLimitVerdict> {
  if (attempt.deviceId) return takeAll(deps, [[rules.device, `device:${attempt.deviceId}`]], now);
  return takeAll(
    deps,
    [
      [rules.source, attempt.source.address],
      [rules.accountSource, `${attempt.account}|${attempt.source.address}`],
      [rules.account, attempt.account],
      [rules.accountDay, attempt.account],
    ],
    now,
  );
}
