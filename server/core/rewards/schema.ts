/** Forms of the reward and protection steps; messages are i18n codes (`rewards.errors.*`, `intake.errors.*`). */
import { z } from 'zod';
import { identityShape } from '../intake/schema.js';
import { REPLY_MAX } from '../followup/schema.js';

export const REFERRAL_OUTCOMES = ['case_opened', 'risk_removed', 'not_pursued'] as const;

/** Identity revealed for the reward only: the name is required, the rest as on the report form. */
export const rewardIdentitySchema = z
  .object({
    consent: z.literal('yes', { error: 'rewards.errors.consentRequired' }),
    identity_name: identityShape.identity_name,
    identity_phone: identityShape.identity_phone,
    identity_id_number: identityShape.identity_id_number,
    identity_contact: identityShape.identity_contact,
  })
  .superRefine((v, ctx) => {
    if (!v.identity_name) ctx.addIssue({ code: 'custom', path: ['identity_name'], message: 'identity_name_required' });
  });

export type RewardIdentityForm = z.output<typeof rewardIdentitySchema>;

export const protectionSchema = z.object({
  confirm: z.literal('yes', { error: 'rewards.errors.protectionConfirm' }),
  message: z.string().trim().max(REPLY_MAX, { error: 'intake.errors.too_long' }),
});

const isoDay = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'rewards.errors.outcomeDate' })
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v), { error: 'rewards.errors.outcomeDate' });

export const outcomeSchema = z.object({
  outcome: z.enum(REFERRAL_OUTCOMES, { error: 'rewards.errors.outcomeChoice' }),
  on: isoDay,
  reference: z.string().trim().max(200, { error: 'rewards.errors.tooLong' }),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** "organisation id" or "organisation id/outlet id", as the credit form's options carry them. */
export const creditSchema = z.object({
  target: z
    .string()
    .trim()
    .refine((v) => v.split('/').length <= 2 && v.split('/').every((part) => UUID.test(part)), { error: 'rewards.errors.creditTarget' })
    .transform((v) => {
      const [organisationId, outletId] = v.split('/');
      return { organisationId: organisationId!, outletId: outletId ?? null };
    }),
});

export const uncreditSchema = z.object({ creditId: z.string().regex(UUID, { error: 'rewards.errors.creditTarget' }) });
