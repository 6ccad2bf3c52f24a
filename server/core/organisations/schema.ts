import { z } from 'zod';
import { PROVINCE_CODES } from '../reports/model.js';

const name = (key: string) =>
  z
    .string({ error: key })
    .transform((s) => s.normalize('NFC').trim().replace(/\s+/g, ' '))
    .pipe(z.string().min(1, { error: key }).max(100, { error: 'organisations.errors.tooLong' }));

export const organisationForm = z.object({ name: name('organisations.errors.nameRequired') });

export const outletForm = z.object({
  organisationId: z.uuid({ error: 'organisations.errors.organisationRequired' }),
  name: name('organisations.errors.outletNameRequired'),
  province: z.enum(PROVINCE_CODES, { error: 'organisations.errors.provinceRequired' }),
  city: name('organisations.errors.cityRequired'),
});

export const INVITE_LIMITS = { maxDays: 90, maxUses: 1000 } as const;

const wholeNumber = (max: number, key: string) =>
  z
    .string({ error: key })
    .trim()
    .regex(/^\d{1,4}$/, { error: key })
    .transform(Number)
    .pipe(z.number().int().min(1, { error: key }).max(max, { error: key }));

export const inviteForm = z.object({
  days: wholeNumber(INVITE_LIMITS.maxDays, 'organisations.errors.days'),
  uses: wholeNumber(INVITE_LIMITS.maxUses, 'organisations.errors.uses'),
});

/** Ids arriving in URLs: anything but a UUID is a 404, never a database error. */
export const idParam = z.uuid();
