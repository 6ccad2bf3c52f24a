import { z } from 'zod';
import { normalisePhone } from '../crypto/index.js';
import { normaliseInviteCode } from '../organisations/invite-code.js';
import { checkPassword, PASSWORD_MAX_LENGTH } from '../accounts/passwords.js';
import { categoriesSchema, descriptionSchema, parcelShape, reportFormSchema } from '../intake/schema.js';

const text = (max: number, key: string) =>
  z
    .string({ error: key })
    .transform((s) => s.normalize('NFC').trim().replace(/\s+/g, ' '))
    .pipe(z.string().min(1, { error: key }).max(max, { error: key }));

const MAX_PHONE_DIGITS = 15; // E.164

/** A phone number that normalises (digits, +86 dropped); kept as typed, trimmed, for the sealed identity. */
const phone = z
  .string({ error: 'employees.errors.phone' })
  .transform((s) => s.normalize('NFKC').trim())
  .refine((s) => s.length <= 40 && (normalisePhone(s)?.length ?? 0) <= MAX_PHONE_DIGITS && normalisePhone(s) !== null, {
    error: 'employees.errors.phone',
  });

/** The staff password policy (server/core/accounts/passwords.ts): judged by estimated guesses, not a common password. */
const newPassword = z.string({ error: 'employees.errors.password.tooShort' }).superRefine((value, ctx) => {
  const problem = checkPassword(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `employees.errors.password.${problem}` });
});

export const joinForm = z
  .object({
    inviteCode: z
      .string({ error: 'employees.errors.inviteCode' })
      .transform((s) => normaliseInviteCode(s.slice(0, 64)))
      .pipe(z.string({ error: 'employees.errors.inviteCode' })),
    name: text(50, 'employees.errors.name'),
    employeeNumber: text(40, 'employees.errors.employeeNumber'),
    phone,
    password: newPassword,
    passwordConfirm: z.string().optional(),
  })
  .refine((v) => v.password === v.passwordConfirm, { path: ['passwordConfirm'], error: 'employees.errors.passwordMismatch' });

export const loginForm = z.object({
  phone,
  password: z.string({ error: 'employees.errors.loginPassword' }).min(1, { error: 'employees.errors.loginPassword' }).max(PASSWORD_MAX_LENGTH, {
    error: 'employees.errors.loginPassword',
  }),
});

export const passwordForm = z
  .object({
    currentPassword: z.string({ error: 'employees.errors.currentPassword' }).min(1, { error: 'employees.errors.currentPassword' }).max(PASSWORD_MAX_LENGTH, {
      error: 'employees.errors.currentPassword',
    }),
    newPassword,
    newPasswordConfirm: z.string().optional(),
  })
  .refine((v) => v.newPassword === v.newPasswordConfirm, { path: ['newPasswordConfirm'], error: 'employees.errors.passwordMismatch' })
  .refine((v) => v.newPassword !== v.currentPassword, { path: ['newPassword'], error: 'employees.errors.passwordUnchanged' });

/** The fields a rejected form shows again. Passwords are never sent back to the browser. */
export function keepTyped(body: unknown, fields: readonly string[]): Record<string, string> {
  const source = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(fields.map((f) => [f, typeof source[f] === 'string' ? (source[f] as string).slice(0, 2000) : '']));
}

export const MESSAGE_MAX_CHARS = 5000;

export const replyForm = z.object({
  body: z
    .string({ error: 'employees.errors.reply' })
    .transform((s) => s.normalize('NFC').trim())
    .pipe(z.string().min(1, { error: 'employees.errors.reply' }).max(MESSAGE_MAX_CHARS, { error: 'employees.errors.replyTooLong' })),
});

export const EMPLOYEE_CONSENT = ['confidential', 'share_with_authorities'] as const;

/**
 * The employee tip form: the public form's own parts (categories, description, danger, province,
 * the whole parcel section) plus the consent level for the identity the account attaches. There
 * are no identity fields: who the employee is comes from their sealed account identity.
 */
export const employeeReportSchema = z.object({
  categories: categoriesSchema,
  description: descriptionSchema,
  immediate_danger: reportFormSchema.shape.immediate_danger,
  province: reportFormSchema.shape.province,
  ...parcelShape,
  identity_choice: z.enum(EMPLOYEE_CONSENT, { error: 'choice_invalid' }),
});

export type ValidEmployeeReport = z.output<typeof employeeReportSchema>;

export const fileNoteForm = z.object({
  note: z
    .string()
    .transform((s) => s.normalize('NFC').trim())
    .pipe(z.string().max(MESSAGE_MAX_CHARS, { error: 'employees.errors.replyTooLong' })),
});
