import { z } from 'zod';
import { parseRecoveryKey } from '../crypto/index.js';
import { checkPassword, PASSWORD_MAX_LENGTH, type PasswordProblem } from './passwords.js';
import { normaliseTotpCode } from './totp.js';

/**
 * One schema per staff form. Messages are i18n keys (translated by the route); a failed parse
 * re-renders the same form with what the person typed, except passwords and keys.
 */

const PROBLEM_KEYS: Record<PasswordProblem, string> = {
  tooShort: 'staff.errors.passwordTooShort',
  tooLong: 'staff.errors.passwordTooLong',
  common: 'staff.errors.passwordCommon',
  guessable: 'staff.errors.passwordGuessable',
  containsUsername: 'staff.errors.passwordContainsUsername',
};

const text = (max: number, requiredKey: string) =>
  z.string({ error: requiredKey }).trim().min(1, { error: requiredKey }).max(max, { error: 'staff.errors.tooLong' });

const secretText = (requiredKey: string) =>
  z.string({ error: requiredKey }).min(1, { error: requiredKey }).max(PASSWORD_MAX_LENGTH * 4, { error: 'staff.errors.passwordTooLong' });

const totpCode = z
  .string({ error: 'staff.errors.codeRequired' })
  .trim()
  .min(1, { error: 'staff.errors.codeRequired' })
  .max(32, { error: 'staff.errors.codeFormat' })
  .refine((v) => normaliseTotpCode(v) !== null, { error: 'staff.errors.codeFormat' });

const newPasswordShape = {
  newPassword: secretText('staff.errors.passwordRequired'),
  newPasswordConfirm: z.string().max(PASSWORD_MAX_LENGTH * 4).optional(),
};

/** A new password must pass the policy for this username and match its confirmation. */
function checkNewPassword(data: { newPassword: string; newPasswordConfirm?: string | undefined }, username: string, ctx: z.RefinementCtx): void {
  const problem = checkPassword(data.newPassword, username);
  if (problem) ctx.addIssue({ code: 'custom', path: ['newPassword'], message: PROBLEM_KEYS[problem] });
  else if (data.newPassword !== data.newPasswordConfirm) ctx.addIssue({ code: 'custom', path: ['newPasswordConfirm'], message: 'staff.errors.passwordMismatch' });
}

export const loginSchema = z.object({
  username: text(64, 'staff.errors.usernameRequired'),
  password: secretText('staff.errors.passwordRequired'),
  code: totpCode,
});

export const enrolPasswordSchema = (username: string) =>
  z.object(newPasswordShape).superRefine((data, ctx) => checkNewPassword(data, username, ctx));

export const recoveryStoredSchema = z.object({
  stored: z.literal('yes', { error: 'staff.errors.recoveryNotConfirmed' }),
});

export const totpConfirmSchema = z.object({ code: totpCode });

export const passwordChangeSchema = (username: string) =>
  z
    .object({ currentPassword: secretText('staff.errors.currentPasswordRequired'), ...newPasswordShape, code: totpCode })
    .superRefine((data, ctx) => checkNewPassword(data, username, ctx));

export const recoverSchema = z
  .object({
    username: text(64, 'staff.errors.usernameRequired'),
    recoveryKey: z
      .string({ error: 'staff.errors.recoveryKeyRequired' })
      .trim()
      .min(1, { error: 'staff.errors.recoveryKeyRequired' })
      .max(200, { error: 'staff.errors.recoveryKeyFormat' })
      .refine((v) => parseRecoveryKey(v) !== null, { error: 'staff.errors.recoveryKeyFormat' }),
    ...newPasswordShape,
    code: totpCode,
  })
  .superRefine((data, ctx) => checkNewPassword(data, data.username, ctx));

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$/;

export const createStaffSchema = z
  .object({
    username: z
      .string({ error: 'staff.errors.usernameRequired' })
      .trim()
      .min(1, { error: 'staff.errors.usernameRequired' })
      .regex(USERNAME_PATTERN, { error: 'staff.errors.usernameFormat' }),
    role: z.enum(['admin', 'reviewer', 'analyst'], { error: 'staff.errors.roleRequired' }),
    custodian: z.literal('yes').optional(),
  })
  .superRefine((data, ctx) => {
    // Custodians hold identity keys; admins hold no report keys at all (separation of duties).
    // Analysts hold no key of any kind either: they see aggregates only.
    if (data.role !== 'reviewer' && data.custodian) ctx.addIssue({ code: 'custom', path: ['custodian'], message: 'staff.errors.custodianNeedsReviewer' });
  })
  .transform((data) => ({ username: data.username, role: data.role, isCustodian: data.custodian === 'yes' }));
