import { z } from 'zod';

/** The referral form (DESIGN §6) and the follow-up update form. Messages are i18n keys. */

export const REFERRAL_CHANNELS = ['hotline_12339', 'web_12339', 'state_security_bureau', 'police_110', 'other'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const single = (v: unknown) => (Array.isArray(v) ? v[0] : v);
const text = (max: number, required: boolean) => {
  const base = z.preprocess((v) => (typeof single(v) === 'string' ? (single(v) as string).trim() : ''), z.string().max(max, 'referral.errors.tooLong'));
  return required ? base.pipe(z.string().min(1, 'referral.errors.required')) : base;
};

/** `datetime-local` input, read as Beijing time (the form says so). */
const beijingDateTime = z.preprocess(
  (v) => (typeof single(v) === 'string' ? (single(v) as string).trim() : ''),
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'referral.errors.dateTime')
    .transform((s) => new Date(`${s.length === 16 ? `${s}:00` : s}+08:00`))
    .refine((d) => !Number.isNaN(d.getTime()), 'referral.errors.dateTime')
    .refine((d) => d.getTime() <= Date.now() + 24 * 3600 * 1000, 'referral.errors.future')
    .refine((d) => d.getUTCFullYear() >= 2000, 'referral.errors.dateTime'),
);

export const referralFormSchema = z.object({
  channel: z.preprocess(single, z.enum(REFERRAL_CHANNELS, 'referral.errors.channel')),
  referredAt: beijingDateTime,
  reference: text(200, false),
  desk: text(200, false),
  summary: text(10_000, true),
  attachments: z.preprocess(
    (v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]),
    z.array(z.string().regex(UUID, 'referral.errors.attachment')).max(100, 'referral.errors.attachment'),
  ),
  identityShared: z.preprocess((v) => single(v) === '1', z.boolean()),
});

export type ReferralForm = z.infer<typeof referralFormSchema>;

export const referralUpdateSchema = z.object({ body: text(5_000, true) });
