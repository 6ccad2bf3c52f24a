import { z } from 'zod';
import type { Config } from '../config.js';
import { LOCALES } from '../i18n/index.js';

/**
 * Every setting an administrator may change in the staff workspace, with its validation and its
 * default. Defaults come from the environment (server/core/config.ts), so an installation that never
 * opens the settings page behaves exactly as configured; a changed value is stored in the
 * `settings` table, applies to every app instance at once, and is audited.
 *
 * To add a setting: add it here (key `group.name`, a zod schema that accepts the form's text and
 * yields the typed value, a default, the form input: text, number, yesno or locale), give it labels under `settings.fields.<group>.<name>` in
 * both catalogues, and read it with `readSettings()`.
 */

const minutes = z.coerce.number({ error: 'settings.errors.number' }).int({ error: 'settings.errors.number' });
const bounded = (min: number, max: number) =>
  minutes.min(min, { error: 'settings.errors.range' }).max(max, { error: 'settings.errors.range' });
const flag = z.union([z.boolean(), z.enum(['yes', 'no']).transform((v) => v === 'yes')]);

export const SETTING_DEFINITIONS = {
  'organisation.name': {
    schema: z.string().trim().max(100, { error: 'settings.errors.tooLong' }),
    default: (_config: Config) => '',
    /** Shown on pages and on referral sheets; empty means the product name alone. */
    input: 'text',
    limits: { maxLength: 100 },
  },
  'organisation.defaultLocale': {
    schema: z.enum(LOCALES, { error: 'settings.errors.choice' }),
    default: (_config: Config) => 'zh-CN' as (typeof LOCALES)[number],
    input: 'locale',
    limits: {},
  },
  'deadlines.criticalTriageMinutes': {
    schema: bounded(5, 24 * 60),
    default: (config: Config) => config.sla.criticalTriageMinutes,
    input: 'number',
    limits: { min: 5, max: 24 * 60 },
  },
  'deadlines.acknowledgeHours': {
    schema: bounded(1, 7 * 24),
    default: (config: Config) => config.sla.ackHours,
    input: 'number',
    limits: { min: 1, max: 7 * 24 },
  },
  'deadlines.feedbackDays': {
    schema: bounded(1, 90),
    default: (config: Config) => config.sla.feedbackDays,
    input: 'number',
    limits: { min: 1, max: 90 },
  },
  'referrals.requireSecondApproval': {
    schema: flag,
    default: (config: Config) => config.referralRequiresApproval,
    input: 'yesno',
    limits: {},
  },
  // Retention (server/core/retention, docs/operations.md "Retention"): days from closing.
  'retention.unfoundedDays': {
    schema: bounded(1, 3650),
    default: (config: Config) => config.retention.unfoundedDays,
    input: 'number',
    limits: { min: 1, max: 3650 },
  },
  'retention.referredDays': {
    schema: bounded(30, 3650),
    default: (config: Config) => config.retention.referredDays,
    input: 'number',
    limits: { min: 30, max: 3650 },
  },
  'retention.otherDays': {
    schema: bounded(1, 3650),
    default: (config: Config) => config.retention.otherDays,
    input: 'number',
    limits: { min: 1, max: 3650 },
  },
  'operations.backupsDocumented': {
    schema: flag,
    default: (_config: Config) => false,
    /** Ticked by an administrator once backups and the restore drill are written down (docs/operations.md). */
    input: 'yesno',
    limits: {},
  },
  'statistics.minimumCell': {
    schema: bounded(2, 100),
    default: (config: Config) => config.statsMinCell,
    /** Counts below this are suppressed in statistics and their exports (small-cell suppression). */
    input: 'number',
    limits: { min: 2, max: 100 },
  },
} as const;

export type SettingKey = keyof typeof SETTING_DEFINITIONS;
export type Settings = { readonly [K in SettingKey]: z.output<(typeof SETTING_DEFINITIONS)[K]['schema']> };
export const SETTING_KEYS = Object.keys(SETTING_DEFINITIONS) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTING_DEFINITIONS, key);
}

/** The environment's values, before any administrator changed anything. */
export function defaultSettings(config: Config): Settings {
  return Object.fromEntries(SETTING_KEYS.map((key) => [key, SETTING_DEFINITIONS[key].default(config)])) as Settings;
}
